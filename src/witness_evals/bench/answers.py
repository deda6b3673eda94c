"""Pull checkable artifacts (commands, JSON documents, Rego modules) out of a free-text answer.

Answers are untrusted text: nothing here executes anything; commands are only tokenized.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

_FENCE = re.compile(r"```([A-Za-z0-9_+.-]*)[ \t]*\n([^\n]*(?:\n(?!```)[^\n]*)*)(?:\n```|\Z)")
"""A fence and its body: everything up to the first line that starts with ``` (or the end). The body is
matched line by line (what `(.*?)` with DOTALL matches, without trying the end at every character)."""
_PROMPT = re.compile(r"^\s*(?:\$|#|>)\s+")
MAX_ANSWER_CHARS = 200_000


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block, in order; an unclosed last fence counts."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text[:MAX_ANSWER_CHARS])]


def _logical_lines(body: str) -> list[str]:
    """Join backslash-continued lines; drop shell prompts and comments."""
    out: list[str] = []
    buf = ""
    for raw in body.splitlines():
        line = raw.rstrip() if not buf else raw.strip()
        if line.endswith("\\"):
            buf += line[:-1].rstrip() + " "
            continue
        buf += line
        stripped = _PROMPT.sub("", buf).strip()
        buf = ""
        if stripped and not stripped.startswith("#"):
            out.append(stripped)
    if buf.strip():
        out.append(_PROMPT.sub("", buf).strip())
    return out


_CI_PREFIX = re.compile(r"^(?:-\s+)?(?:(?:run|script|command|cmd)\s*:\s*)?(?:-\s+)?")
_JENKINS_SH = re.compile(r"""^(?:sh|bat)\s*\(?\s*(?:script\s*:\s*)?(['"]{1,3})(.*?)\1\s*\)?\s*$""")
_ENV_ASSIGN = re.compile(r"""^(?:export\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s'"]*)\s+)+""")


def unwrap_ci(line: str) -> str:
    """A command as written inside CI configuration, without the wrapper: a YAML list item or
    `run:`/`script:` key (GitHub Actions, GitLab CI), a Jenkins `sh '...'` step, leading `VAR=value`
    environment assignments."""
    line = _CI_PREFIX.sub("", line.strip(), count=1)
    m = _JENKINS_SH.match(line)
    if m:
        line = m.group(2).strip()
    return _ENV_ASSIGN.sub("", line, count=1)


def commands(text: str, program: str = "witness") -> list[str]:
    """Command lines starting with `program` in code blocks, else in inline `code` spans, else lines.

    Lines inside CI configuration count too (`- run: witness run ...`, `sh 'witness run ...'`,
    `WITNESS_KEY_PASSPHRASE=x witness run ...`): the wrapper is dropped."""
    pattern = re.compile(rf"^(?:sudo\s+)?{re.escape(program)}(?:\s|$)")
    found: list[str] = []
    for _lang, body in code_blocks(text):
        found += [c for c in (unwrap_ci(line) for line in _logical_lines(body)) if pattern.match(c)]
    if found:
        return found
    found = [span.strip() for span in re.findall(r"`([^`\n]+)`", text) if pattern.match(span.strip())]
    if found:
        return found
    return [line for line in _logical_lines(text[:MAX_ANSWER_CHARS]) if pattern.match(line)]


JSON_LANGS = ("", "json", "jsonc", "javascript", "js")
"""Info strings of the code blocks read as JSON (untagged too)."""


def json_blocks(text: str) -> list[str]:
    """Bodies of the code blocks read as JSON (`JSON_LANGS`), in order."""
    return [body for lang, body in code_blocks(text) if lang in JSON_LANGS]


def json_errors(text: str) -> list[tuple[str, str]]:
    """(body, why) of every JSON block (`json_blocks`) that does not parse: where it breaks, in one line."""
    out: list[tuple[str, str]] = []
    for body in json_blocks(text):
        try:
            json.loads(body)
        except json.JSONDecodeError as exc:
            out.append((body, f"{exc.msg} at line {exc.lineno}, column {exc.colno} of its block"))
        except (ValueError, RecursionError) as exc:
            out.append((body, (str(exc) or type(exc).__name__).splitlines()[0][:200]))
    return out


def json_documents(text: str) -> list[Any]:
    """Every JSON value found in code blocks (`json_blocks`), else the whole text if it parses."""
    docs: list[Any] = []
    for body in json_blocks(text):
        try:
            docs.append(json.loads(body))
        except (ValueError, RecursionError):
            continue
    if not docs:
        with contextlib.suppress(ValueError, RecursionError):
            docs.append(json.loads(text[:MAX_ANSWER_CHARS].strip()))
    return docs


def rego_modules(text: str) -> list[str]:
    """Bodies of code blocks that look like Rego (tagged rego, or starting with `package`)."""
    out = []
    for lang, body in code_blocks(text):
        if lang == "rego" or (lang in ("", "text") and body.lstrip().startswith("package ")):
            out.append(body if body.endswith("\n") else body + "\n")
    return out


_DIGEST_OF = re.compile(
    r"""^([A-Za-z_][A-Za-z0-9_]*)=["']?\$\(\s*(?:"""
    r"""sha256sum\s+(?P<sha>\S+)\s*\|\s*(?:cut\s+-d\s*(?:' '|" ")\s+-f\s*1|awk\s+'\{\s*print\s+\$1\s*\}')"""
    r"""|base64\s+(?:-w\s*0|--wrap=0)\s+(?P<b64>\S+))\s*\)["']?$"""
)
_HEREDOC = re.compile(r"^cat\s*>\s*(\S+)\s*<<-?\s*(\S+)\s*$")
_SHELL_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def _digest(line: str, files: Mapping[str, bytes]) -> tuple[str, str] | None:
    """(variable, value) of `VAR=$(sha256sum F | cut -d' ' -f1)` or `VAR=$(base64 -w0 F)` on a pasted F."""
    m = _DIGEST_OF.match(line)
    data = files.get((m.group("sha") or m.group("b64")).strip("'\"")) if m else None
    if m is None or data is None:
        return None
    value = hashlib.sha256(data).hexdigest() if m.group("sha") else base64.b64encode(data).decode()
    return m.group(1), value


def _expand(doc: str, values: Mapping[str, str]) -> str | None:
    """An unquoted here-document's text with its variables set, or None if it needs anything else."""
    names = [m.group(1) or m.group(2) for m in _SHELL_VAR.finditer(doc)]
    if any(n not in values for n in names) or "$(" in doc or "`" in doc:
        return None
    return _SHELL_VAR.sub(lambda m: values[m.group(1) or m.group(2)], doc)


def scripted_json(text: str, files: Mapping[str, bytes]) -> list[Any]:
    """JSON written by a shell script from files the user pasted: `VAR=$(sha256sum F | cut -d' ' -f1)`
    and `VAR=$(base64 -w0 F)` for a pasted file F, then `cat > OUT <<EOF` ... `EOF` with `$VAR` in it.

    How an answer derives a key id it cannot compute itself. Nothing is executed: those two commands are
    evaluated on `files` here; any other command or unknown variable makes the document unreadable."""
    docs: list[Any] = []
    for lang, body in code_blocks(text):
        if lang not in ("", "bash", "sh", "shell", "console"):
            continue
        values: dict[str, str] = {}
        lines = body.splitlines()
        k = 0
        while k < len(lines):
            line = _PROMPT.sub("", lines[k]).strip()
            k += 1
            set_var = _digest(line, files)
            if set_var:
                values[set_var[0]] = set_var[1]
            heredoc = _HEREDOC.match(line)
            if not heredoc:
                continue
            end = heredoc.group(2)
            quoted = end[0] in "'\"" and end[-1] == end[0]
            end = end.strip("'\"")
            stop = next((j for j in range(k, len(lines)) if lines[j].strip() == end), None)
            if stop is None:
                break
            raw = "\n".join(lines[k:stop])
            k = stop + 1
            doc = raw if quoted else _expand(raw, values)
            if doc is not None:
                with contextlib.suppress(ValueError, RecursionError):
                    docs.append(json.loads(doc))
    return docs


_PATH_NAME = re.compile(
    r"(?<![\w./-])((?:\.{1,2}/|\.)?[A-Za-z0-9_][A-Za-z0-9_./-]*\.(?:pub|pem|crt|cer|key))(?![\w-])"
)
"""A key or certificate file name; it may start with `./`, `../` or a dot directory (`.witness/ci.pub`)."""


def pasted_files(text: str) -> dict[str, bytes]:
    """Files a user pasted: each fenced block whose body is a PEM, named by the last file name
    (`keys/build.pub`, with or without backticks) between the previous block and it. The file is the block
    plus a final newline."""
    files: dict[str, bytes] = {}
    start = 0
    for m in _FENCE.finditer(text[:MAX_ANSWER_CHARS]):
        body = m.group(2).strip()
        names = _PATH_NAME.findall(text, start, m.start())
        start = m.end()
        if body.startswith("-----BEGIN ") and body.endswith("-----") and names:
            files[names[-1]] = (body + "\n").encode("utf-8")
    return files
