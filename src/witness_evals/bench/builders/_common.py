"""Shared vocabulary and prompt assembly of the bench's own builders.

Prompts are assembled from independent parts (who asks, the situation in the user's own file names,
the request, an optional constraint) in one of several registers (terse, detailed with a list, a
pasted snippet first), so that a builder has thousands of surface forms and no long fixed sentence.
The wording here is the bench's own: it does not reuse the training generator's templates, file
names or step names (`generate/phrasing.py`, `generate/families/*`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# ------------------------------------------------------------------------------ names

STEPS: tuple[str, ...] = (
    "compile",
    "assemble",
    "bundle",
    "release",
    "unit-tests",
    "container",
    "publish",
    "lint",
    "sast",
    "integration",
    "codegen",
    "vet",
    "e2e",
    "checksum",
    "docs",
    "fetch-deps",
    "smoke",
    "notarize",
)
TEAMS: tuple[str, ...] = (
    "payments",
    "identity",
    "data-platform",
    "mobile",
    "infra",
    "checkout",
    "observability",
    "search",
    "growth",
    "core-api",
)
PROJECTS: tuple[str, ...] = (
    "ledgerd",
    "orca",
    "quill",
    "tern",
    "harbor-sync",
    "pixelgate",
    "rowan",
    "fjord",
    "kestrel",
    "mosaic",
    "sprocket",
    "tidepool",
)
KEY_FILES: tuple[str, ...] = (
    "secrets/{step}.key",
    "ci/signing/{step}-ed25519.pem",
    "/run/secrets/{step}_signer",
    ".keys/{team}-{step}.pem",
    "/etc/witness/{step}-signer.key",
    "creds/functionary-{step}.pem",
    "vault-out/{step}.priv.pem",
    "/opt/ci/keys/{team}.key",
)
OUT_FILES: tuple[str, ...] = (
    "evidence/{step}.dsse.json",
    "out/{step}-collection.json",
    "{step}.signed-att.json",
    "_evidence/{project}/{step}.json",
    "provenance/{step}.witness.json",
    "build/attest-{step}.json",
    "trail/{step}.env.json",
)
POLICY_FILES: tuple[str, ...] = (
    "gate/policy.json",
    "supply-chain/{project}.policy.json",
    "ops/witness/policy-prod.json",
    "release-gate.json",
    "policies/{team}/gate.json",
)
SIGNED_POLICIES: tuple[str, ...] = (
    "gate/policy.dsse.json",
    "release-gate.signed.json",
    "dist/policy.envelope.json",
    "ops/witness/policy-prod.signed.json",
    "policies/{team}/gate.dsse.json",
)
POLICY_PUBS: tuple[str, ...] = (
    "trust/policy-signer.pub",
    "keys/gate.pub.pem",
    "ops/witness/policy_signer.pub",
    "certs/release-gate.pub",
    "/etc/witness/trust/{team}-policy.pub",
)
POLICY_PRIVS: tuple[str, ...] = (
    "secrets/policy-signer.key",
    "ops/witness/policy_signer.pem",
    "/run/secrets/gate_policy_key",
    ".keys/{team}-policy.pem",
)
ARTIFACTS: tuple[str, ...] = (
    "dist/{project}-linux-amd64",
    "build/{project}.tar.gz",
    "target/{project}-2.3.0.jar",
    "out/{project}-1.9.1-py3-none-any.whl",
    "bin/{project}",
    "release/{project}_darwin_arm64.zip",
)
TSA_URLS: tuple[str, ...] = (
    "https://freetsa.org/tsr",
    "http://timestamp.digicert.com",
    "https://timestamp.sectigo.com",
    "https://tsa.{team}.example.net/rfc3161",
)
CA_FILES: tuple[str, ...] = ("pki/root-ca.crt", "trust/{team}-root.pem", "ca/corp-root.pem")
INTERMEDIATE_FILES: tuple[str, ...] = (
    "pki/issuing-ca.crt",
    "trust/{team}-sub-ca.pem",
    "ca/ci-intermediate.pem",
)
CERT_FILES: tuple[str, ...] = ("pki/{step}-signer.crt", "certs/{team}-{step}.crt", "ca/leaf-{step}.pem")

# ------------------------------------------------------------------------------ people and framing

OPENINGS: tuple[str, ...] = (
    "",
    "",
    "",
    "",
    "Platform engineer at {org}, wiring witness into `{project}`.",
    "We're hardening the release path of {project}.",
    "I look after the build farm for the {team} team.",
    "Security review follow-up for {project}.",
    "Context: `{project}` is one of our {lang} services.",
    "Ticket SEC-{n} asks for this.",
    "Our auditors flagged a gap in {project}'s pipeline.",
    "Working on supply-chain controls for the {team} org.",
    "On-call for the {team} build system this week.",
    "Rolling witness v0.12 out to the {team} repos.",
    "Hey,",
    "Morning!",
    "Following up on the {project} provenance work.",
)
ORGS: tuple[str, ...] = (
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Litware",
    "Proseware",
    "Lucerne",
)
LANG_WORDS: tuple[str, ...] = ("Go", "TypeScript", "Python", "Rust", "Java", "Kotlin")


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """One element of `options`, drawn from `rng`."""
    return options[rng.randrange(len(options))]


def names(rng: random.Random) -> dict[str, str]:
    """Free-standing names for one prompt (org, team, project, language, ticket number)."""
    return {
        "org": pick(rng, ORGS),
        "team": pick(rng, TEAMS),
        "project": pick(rng, PROJECTS),
        "lang": pick(rng, LANG_WORDS),
        "n": str(rng.randint(100, 9999)),
    }


def fill(rng: random.Random, pool: Sequence[str], **values: str) -> str:
    """A pattern from `pool` with `{step}`, `{team}`, `{project}`... filled in."""
    return pick(rng, pool).format(**values)


def opening(rng: random.Random, nm: dict[str, str]) -> str:
    return pick(rng, OPENINGS).format(**nm)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def join_words(items: Sequence[str], last: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def code(text: str) -> str:
    return f"`{text}`"


def fenced(body: str, lang: str = "") -> str:
    return f"```{lang}\n{body.rstrip()}\n```"


def bullets(rng: random.Random, items: Sequence[str]) -> str:
    mark = pick(rng, ("-", "*", "•"))
    return "\n".join(f"{mark} {it}" for it in items)


def assemble(
    rng: random.Random,
    *,
    opening_text: str,
    facts: Sequence[str],
    request: str,
    constraints: Sequence[str] = (),
    snippet: str | None = None,
    snippet_intro: str = "",
) -> str:
    """A prompt in one of several registers from its parts.

    `facts` are short statements of the situation; `request` what is asked; `constraints` extra
    conditions; `snippet` an optional pasted block (shown first or after the facts)."""
    style = rng.choice(("flow", "flow", "list", "terse", "snippet-first" if snippet else "flow"))
    parts: list[str] = []
    facts = [f for f in facts if f]
    constraints = [c for c in constraints if c]
    if style == "terse":
        body = " ".join([*facts, request, *constraints])
        if snippet:
            body += "\n\n" + snippet
        return body.strip()
    if opening_text:
        parts.append(opening_text)
    if style == "snippet-first" and snippet:
        parts.append((snippet_intro + "\n\n" if snippet_intro else "") + snippet)
        parts.append(" ".join([*facts, request]))
        if constraints:
            parts.append(" ".join(constraints))
        return "\n\n".join(parts).strip()
    if style == "list" and len(facts) + len(constraints) >= 2:
        parts.append(request)
        parts.append(bullets(rng, [*facts, *constraints]))
    else:
        parts.append(" ".join(facts))
        parts.append(" ".join([request, *constraints]))
    if snippet:
        parts.append((snippet_intro + "\n\n" if snippet_intro else "") + snippet)
    return "\n\n".join(p for p in parts if p).strip()


def compact_json(value: Any, limit: int = 1200) -> str:
    """Indented JSON of `value`, long strings shortened (a pasted excerpt, not the full document)."""

    def shorten(v: Any) -> Any:
        if isinstance(v, str) and len(v) > 96:
            return v[:60] + "..."
        if isinstance(v, list):
            return [shorten(x) for x in v[:6]]
        if isinstance(v, dict):
            return {k: shorten(x) for k, x in list(v.items())[:14]}
        return v

    text = json.dumps(shorten(value), indent=2)
    if len(text) > limit:
        text = text[:limit].rsplit("\n", 1)[0] + "\n  ..."
    return text
