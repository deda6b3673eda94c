"""The README's shell examples run as written, so they cannot rot.

Convention of README.md (also in an HTML comment there):

* ```sh blocks are examples. They run with `bash -e`, one process per block, in README order, in one
  scratch directory that holds copies of `examples/` and `configs/` and a link to `.venv` (a later
  block may use what an earlier one wrote, as a reader following the guide would), with the
  virtualenv's `bin/` first on PATH.
* A command whose line ends in `# exit N` must exit with N (`# exit N or M`: with either); any other
  command must exit 0 (`bash -e`).
* A block whose first line is `# slow: <reason>` runs only in the slow test; a block whose first line
  is `# not run in tests: <reason>` never runs. The `witness-evals` commands of every block, run or
  not, must parse with the CLI's options.
* Output is shown in ```text blocks, which are not run; no other fence language is used.

Also checked: the relative links of README.md, docs/*.md and examples/README.md resolve, and the
example files are still what the tools that made them write.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

from witness_evals.cli import app

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
EXAMPLES = REPO / "examples"
BIN = Path(sys.executable).parent

SKIP = "# not run in tests:"
SLOW = "# slow:"
EXIT = re.compile(r"^(?P<cmd>.*\S)\s+#\s*exit\s+(?P<codes>\d+(?:\s+or\s+\d+)*)\b[^#'\"]*$")
FENCE = re.compile(r"^```(\S*)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block of the README."""

    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    end: int = 0  # 1-based line of the closing fence

    @property
    def first(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    @property
    def mode(self) -> str:
        """`run`, `slow` or `skip`."""
        if self.first.startswith(SKIP):
            return "skip"
        if self.first.startswith(SLOW):
            return "slow"
        return "run"

    @property
    def reason(self) -> str:
        prefix = {"skip": SKIP, "slow": SLOW}.get(self.mode, "")
        return self.first[len(prefix) :].strip()


def blocks(path: Path = README) -> list[Block]:
    """Every fenced block of a Markdown file, in order."""
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        assert i < len(lines), f"README.md:{start + 1}: unclosed code fence"
        out.append(Block(start + 1, m.group(1), "\n".join(body), i + 1))
        i += 1
    return out


def shell_blocks() -> list[Block]:
    return [b for b in blocks() if b.lang == "sh"]


def logical_lines(text: str) -> list[list[str]]:
    """Physical lines grouped into commands (a trailing backslash continues a line)."""
    groups: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        current.append(line)
        if not line.endswith("\\"):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def expected_codes(group: list[str]) -> tuple[int, ...] | None:
    """The exit codes a command's `# exit N [or M]` comment states, or None."""
    m = EXIT.match(group[-1])
    if m is None:
        return None
    return tuple(int(c) for c in re.findall(r"\d+", m.group("codes")))


def script(block: Block) -> str:
    """The block as a bash script in which each `# exit N` command must exit with N."""
    out: list[str] = []
    for group in logical_lines(block.text):
        codes = expected_codes(group)
        if codes is None:
            out.extend(group)
            continue
        m = EXIT.match(group[-1])
        assert m is not None
        command = "\n".join([*group[:-1], m.group("cmd")])
        shown = shlex.quote(" ".join(" ".join(group).split())[:200])
        pattern = "|".join(str(c) for c in codes)
        out += [
            "set +e",
            command,
            "__rc=$?",
            "set -e",
            f'case "$__rc" in {pattern}) ;; *) echo "README: expected exit {pattern}, got $__rc: "{shown} >&2; exit 97;; esac',
        ]
    return "\n".join(out) + "\n"


def witness_evals_args(block: Block) -> list[list[str]]:
    """The arguments of every `witness-evals ...` (or `-m witness_evals ...`) call in a block."""
    calls: list[list[str]] = []
    for group in logical_lines(block.text):
        joined = " ".join(line[:-1] if line.endswith("\\") else line for line in group)
        lexer = shlex.shlex(joined, posix=True, punctuation_chars="|&;<>")
        lexer.whitespace_split = True
        lexer.commenters = ""  # shlex would end a word at `#` (`openai:URL#MODEL`); bash does not
        segment: list[str] = []
        segments: list[list[str]] = []
        skip_next = False
        for token in lexer:
            if token.startswith("#"):
                break  # a comment: the rest of the line
            if skip_next:
                skip_next = False
                continue
            if set(token) <= set("|&;"):
                segments.append(segment)
                segment = []
            elif set(token) <= set("<>"):
                skip_next = True  # the redirection's file
            else:
                segment.append(token)
        segments.append(segment)
        for seg in segments:
            while seg and "=" in seg[0] and not seg[0].startswith("-"):
                seg = seg[1:]  # VAR=value prefixes
            if seg and Path(seg[0]).name == "witness-evals":
                calls.append(seg[1:])
            elif (
                "-m" in seg and seg.index("-m") + 1 < len(seg) and seg[seg.index("-m") + 1] == "witness_evals"
            ):
                calls.append(seg[seg.index("-m") + 2 :])
    return calls


def parse_with_cli(args: list[str]) -> None:
    """Parse `witness-evals ARGS` with the CLI's own parser; raise on an unknown command or option."""
    command = typer.main.get_command(app)
    path = ["witness-evals"]
    rest = list(args)
    while rest and rest[0] in getattr(command, "commands", {}):
        path.append(rest[0])
        command = command.commands[rest[0]]  # type: ignore[attr-defined]
        rest = rest[1:]
    try:
        ctx = command.make_context(" ".join(path), rest)
    except typer.Exit as exc:  # --version, --help
        assert exc.exit_code == 0
        return
    protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", None) or []
    leftover = [*protected, *ctx.args]  # on a group: an unknown subcommand and what follows it
    assert not leftover, f"{' '.join(path)}: unexpected arguments {leftover}"


def test_readme_uses_one_fence_convention() -> None:
    langs = {b.lang for b in blocks()}
    assert langs <= {"sh", "text"}, f"README fences must be sh (run) or text (output): {sorted(langs)}"
    sh = shell_blocks()
    assert sum(b.mode == "run" for b in sh) >= 10
    for b in sh:
        if b.mode != "run":
            assert b.reason, f"README.md:{b.line}: `{b.first}` needs a reason"
        for group in logical_lines(b.text):
            for line in group:
                if re.search(r"#\s*exit\b", line) and line is not group[-1]:
                    pytest.fail(f"README.md:{b.line}: `# exit N` belongs on a command's last line: {line}")
            if re.search(r"#\s*exit\b", group[-1]):
                assert expected_codes(group), f"README.md:{b.line}: malformed `# exit` comment: {group[-1]}"


def test_every_witness_evals_command_parses() -> None:
    """Commands of every block, including the ones not run here, exist with these options."""
    seen = 0
    for b in shell_blocks():
        for args in witness_evals_args(b):
            seen += 1
            try:
                parse_with_cli(args)
            except Exception as exc:
                pytest.fail(f"README.md:{b.line}: witness-evals {shlex.join(args)}: {exc}")
    assert seen >= 40


def test_exit_comments_become_checks(tmp_path: Path) -> None:
    """The `# exit N` transformation fails a command that exits otherwise (the harness can fail)."""
    good = Block(1, "sh", "false   # exit 1\nsh -c 'exit 3'   # exit 2 or 3")
    bad = Block(1, "sh", "true   # exit 1")
    assert subprocess.run(["bash", "-e", "-c", script(good)], cwd=tmp_path).returncode == 0
    proc = subprocess.run(["bash", "-e", "-c", script(bad)], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 97 and "expected exit 1, got 0" in proc.stderr
    assert subprocess.run(["bash", "-e", "-c", script(Block(1, "sh", "false"))], cwd=tmp_path).returncode != 0


def _scratch(tmp_path: Path) -> Path:
    work = tmp_path / "clone"
    work.mkdir()
    shutil.copytree(EXAMPLES, work / "examples")
    shutil.copytree(REPO / "configs", work / "configs")
    (work / ".venv").symlink_to(BIN.parent, target_is_directory=True)
    return work


def shown_output(block: Block) -> Block | None:
    """The ```text block right after a ```sh block (only blank lines between): its output."""
    every = blocks()
    lines = README.read_text(encoding="utf-8").split("\n")
    for b, after in itertools.pairwise(every):
        if b == block and after.lang == "text":
            between = lines[b.end : after.line - 1]
            return after if not any(x.strip() for x in between) else None
    return None


def missing_output(shown: str, actual: str) -> list[str]:
    """Lines of `shown` that no line of `actual` matches; `...` or `…` in a shown line stands for any text."""
    actual_lines = actual.split("\n")
    missing = []
    for line in shown.split("\n"):
        if line.strip() in ("", "...", "…"):
            continue
        pattern = ".*".join(re.escape(part.strip()) for part in re.split(r"\.\.\.|…", line.strip()))
        if not any(re.search(pattern, a) for a in actual_lines):
            missing.append(line)
    return missing


def _run_blocks(tmp_path: Path, modes: set[str]) -> None:
    work = _scratch(tmp_path)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    ran = 0
    for b in shell_blocks():
        if b.mode not in modes:
            continue
        proc = subprocess.run(
            ["bash", "-e", "-c", script(b)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"README.md:{b.line}: block exited {proc.returncode}\n--- block\n{b.text}\n"
                f"--- stdout (end)\n{proc.stdout[-3000:]}\n--- stderr (end)\n{proc.stderr[-3000:]}"
            )
        shown = shown_output(b)
        if shown is not None:
            missing = missing_output(shown.text, proc.stdout + "\n" + proc.stderr)
            assert not missing, (
                f"README.md:{shown.line}: output no longer printed by the block above: {missing}"
            )
        ran += 1
    assert ran > 0
    _check_claims(work)


def _check_claims(work: Path) -> None:
    """What the README says the examples show: the bench's references pass, its planted errors fail."""
    for run, expected in (("reference", 1.0), ("planted", 0.0)):
        summary = json.loads((work / "runs" / run / "summary.json").read_text(encoding="utf-8"))
        assert summary["tiers"], run
        for tier, figures in summary["tiers"].items():
            assert figures["n_tasks"] == 100 and figures["pass@1"] == expected, (run, tier, figures["pass@1"])


def test_readme_examples_run(tmp_path: Path) -> None:
    _run_blocks(tmp_path, {"run"})


@pytest.mark.slow
def test_readme_slow_examples_run(tmp_path: Path) -> None:
    """All runnable blocks, the slow ones included (train, export, models on CPU: minutes)."""
    _run_blocks(tmp_path, {"run", "slow"})


LINK = re.compile(r"\]\((?!https?://|mailto:)([^)#\s]*)(?:#([^)\s]*))?\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a Markdown page's headings (lower case, punctuation dropped, `-` for spaces)."""
    found: set[str] = set()
    fence = False
    for line in page.read_text(encoding="utf-8").split("\n"):
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"^#{1,6} ", line):
            text = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


@pytest.mark.parametrize(
    "page",
    [README, EXAMPLES / "README.md", *sorted((REPO / "docs").glob("*.md"))],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target, anchor in LINK.findall(page.read_text(encoding="utf-8")):
        path = page.parent / target if target else page
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}#{anchor}")
    assert not broken, f"{page.relative_to(REPO)}: broken links {broken}"


def test_example_pipeline_is_what_the_demo_writes(tmp_path: Path) -> None:
    from witness_evals.demo import build_world

    build_world(tmp_path, 7)
    shipped = sorted(
        p.relative_to(EXAMPLES / "pipeline") for p in (EXAMPLES / "pipeline").rglob("*") if p.is_file()
    )
    assert shipped
    for rel in shipped:
        assert (tmp_path / rel).read_bytes() == (EXAMPLES / "pipeline" / rel).read_bytes(), rel
    assert not any(p.name.endswith(".pem") and not p.name.endswith(".pub.pem") for p in shipped)


def test_example_witness_files_are_the_witness_repository_files() -> None:
    for path in sorted((EXAMPLES / "witness-test").iterdir()):
        assert path.read_bytes() == (REPO / "tests" / "fixtures" / "witness-test" / path.name).read_bytes()


def test_example_predicate_is_what_attestors_example_writes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "witness_evals", "attestors", "example", "command-run", "--seed", "3"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == (EXAMPLES / "rego" / "command-run.json").read_text(encoding="utf-8")


def test_shown_output_check_can_fail() -> None:
    """`...` stands for any text within one line; anything else must be printed as shown."""
    assert missing_output("error: a ... b\n...\nx…y", "error: a 123 b\nxQy") == []
    assert missing_output("error: a ... c", "error: a b") == ["error: a ... c"]
    assert missing_output("Verification succeeded", "Verification failed") == ["Verification succeeded"]
