"""git: the checked-out commit and work-tree state (go-witness attestation/git)."""

from __future__ import annotations

import random
from datetime import timedelta, timezone
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import DIGEST, STR, STRS, F, ListT, MapT, S
from witness_evals.witness.attestors.scenario import Scenario, hex_id
from witness_evals.witness.digests import sha256_hex

TYPE = "https://witness.dev/attestations/git/v0.1"

STATUS = S("git.Status", F("staging", STR, True), F("worktree", STR, True))
TAG = S(
    "git.Tag", *(F(k, STR) for k in ("name", "taggername", "taggeremail", "when", "pgpsignature", "message"))
)
SHAPE = S(
    "git.Attestor",
    F("gittool", STR),
    F("gitbinpath", STR, True),
    F("gitbinhash", DIGEST, True),
    F("commithash", STR),
    F("author", STR),
    F("authoremail", STR),
    F("committername", STR),
    F("committeremail", STR),
    F("commitdate", STR),
    F("commitmessage", STR),
    F("status", MapT(STATUS), True),
    F("commitdigest", DIGEST, True),
    F("signature", STR, True),
    F("parenthashes", STRS, True),
    F("treehash", STR, True),
    F("refs", STRS, True),
    F("remotes", STRS, True),
    F("tags", ListT(TAG), True),
    F("branch", STR, True),
)


def go_time_string(dt: Any) -> str:
    """Go's `time.Time.String()` for a go-git signature time (unnamed fixed zone: offset printed twice)."""
    off = dt.strftime("%z")
    return f"{dt.strftime('%Y-%m-%d %H:%M:%S')} {off} {off}"


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    tz = timezone(timedelta(hours=rng.choice((0, 0, 1, 2, -4, -5, -7, 9))))
    when = s.commit_time.astimezone(tz)
    pred: dict[str, Any] = {"gittool": "go-git"}
    if rng.random() < 0.3:
        pred["gittool"] = "go-git+git-bin"
        pred["gitbinpath"] = "/usr/bin/git"
        pred["gitbinhash"] = {"sha256": sha256_hex(f"git-{rng.choice(('2.43.0', '2.45.2', '2.39.2'))}")}
    pred.update(
        {
            "commithash": s.commit,
            "author": s.author,
            "authoremail": s.author_email,
            "committername": s.committer,
            "committeremail": s.committer_email,
            "commitdate": go_time_string(when),
            "commitmessage": s.commit_message,
        }
    )
    if rng.random() < 0.25:
        tracked = sorted(p for p in s.files_before if not p.startswith(".git/"))
        pred["status"] = {rng.choice(tracked): {"staging": "unmodified", "worktree": "modified"}}
        if rng.random() < 0.5:
            pred["status"]["notes.txt"] = {"staging": "untracked", "worktree": "untracked"}
    pred["commitdigest"] = {"sha1": s.commit}
    if s.committer == "GitHub":
        pred["signature"] = (
            "-----BEGIN PGP SIGNATURE-----\n\nwsBcBAABCAAQBQJm"
            + hex_id(rng, 40)
            + "\n-----END PGP SIGNATURE-----\n"
        )
    pred["parenthashes"] = list(s.parents)
    pred["treehash"] = s.tree
    # the scenario's tags are annotated: their refs point at the tag object, not at HEAD, so go-witness lists
    # them under `tags` only (git.go keeps a ref only `if ref.Hash() == head.Hash()`)
    pred["refs"] = head_refs(s)
    pred["remotes"] = [s.repo_url]
    if s.tags:
        pred["tags"] = [
            {
                "name": t,
                "taggername": s.author,
                "taggeremail": s.author_email,
                "when": when.isoformat().replace("+00:00", "Z"),
                "pgpsignature": "",
                "message": f"Release {t}\n",
            }
            for t in s.tags
        ]
    pred["branch"] = s.head_name
    return pred


def head_refs(s: Scenario) -> list[str]:
    """The refs at HEAD's commit (go-witness v0.12.0 attestation/git/git.go:173-189 keeps every ref of
    `repo.References()` whose hash is HEAD's). go-git v5.19.1 lists `HEAD` itself first
    (storage/filesystem/dotgit/dotgit.go:724-740, 1011): a symbolic HEAD has no hash and is skipped, a
    detached one is kept, and such a checkout has no local branch, only the fetched remote-tracking ref."""
    remote = f"refs/remotes/origin/{s.branch}"
    return ["HEAD", remote] if s.detached else [f"refs/heads/{s.branch}", remote]


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    out: dict[str, DigestSet] = {f"commithash:{pred['commithash']}": {"sha1": pred["commithash"]}}
    out[f"authoremail:{pred['authoremail']}"] = sha256_of(pred["authoremail"])
    out[f"committeremail:{pred['committeremail']}"] = sha256_of(pred["committeremail"])
    for parent in pred["parenthashes"] or []:
        out[f"parenthash:{parent}"] = sha256_of(parent)
    if pred["branch"]:
        out[f"refnameshort:{pred['branch']}"] = sha256_of(pred["branch"])
    return out


def backrefs(pred: dict[str, Any]) -> dict[str, DigestSet]:
    return {f"commithash:{pred['commithash']}": {"sha1": pred["commithash"]}}


SPEC = AttestorSpec(
    name="git",
    type=TYPE,
    run_type="prematerial",
    selection="default",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
    backreffer=backrefs,
)
