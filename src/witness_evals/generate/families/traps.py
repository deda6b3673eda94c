"""Family `traps`: review a witness policy ("will this work?", "review this before we sign").

A policy world (`generate.worlds.policy`: a pipeline simulated with the core, its keys or x509 PKI, the valid
policy) is turned into a case (`generate.traps_cases`): a REFERENCE §8 trap that breaks the policy, a
weakness a security reviewer should flag (the tightened policy rejects an attack the weak one lets
through, both shown with the core verifier), or a valid policy, sometimes with a harmless look-alike.
The user asks in one of many ways (`generate.traps_requests`), sometimes quoting what `witness verify`
printed. The answer (`teach.render`) gives the verdict and the witness behaviour behind it, the
complete corrected or tightened policy, and the commands that check it.

`score` reads the verdict from the answer's prose, checks its key terms, and loads, statically
checks, signs and verifies the answer's last complete policy against the genuine pipeline (and, for a
weak policy, against the attack, which must now fail).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import random
import re
from datetime import datetime, timedelta
from typing import Any, cast

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.generate import phrasing, teach
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.generate.rego_reqs_source import detached_note
from witness_evals.generate.traps_case import Case
from witness_evals.generate.traps_cases import SHARES, pick_kind, summary
from witness_evals.generate.traps_requests import Files, compose, draw_files, own_line_fences, render
from witness_evals.generate.worlds.layout import layout_for
from witness_evals.generate.worlds.policy import (
    Attack,
    PolicySpec,
    PolicyWorld,
    attacked,
    genuine,
    policy_expiry,
    policy_world,
    verify_policy,
)
from witness_evals.witness import versions
from witness_evals.witness.policy import parse_rfc3339
from witness_evals.witness.policy_check import EXPIRY_WARNING_DAYS, PolicyReport, check_policy
from witness_evals.witness.verify import QUIET_TRUSTED_REGO, VerifyResult
from witness_evals.witness.versions import WitnessVersion

NAME = "traps"
POOL = 24
"""Worlds per world class (kinds with the same needs share them): a world is simulated, signed and
verified once per process and reused across cases and phrasings."""


# ----------------------------------------------------------------------------- static checks


class _LazySandbox:
    """Forwards to `ctx.rego` (the sandbox starts only if a policy really has Rego modules)."""

    def __init__(self, ctx: ScoreContext) -> None:
        self.ctx = ctx

    def check_many(self, jobs: Any) -> list[Any]:
        return self.ctx.rego.check_many(jobs)

    def evaluate(self, modules: Any, input: Any, mode: str = "verify") -> Any:
        return self.ctx.rego.evaluate(modules, input, mode)

    def evaluate_many(self, jobs: Any) -> list[Any]:
        return self.ctx.rego.evaluate_many(jobs)


_REPORTS: dict[tuple[str, str], PolicyReport] = {}
_CACHE_MAX = 4096


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_MAX:
        cache.pop(next(iter(cache)))
    cache[key] = value


def _expiry_class(policy: Any, now: datetime, margin: timedelta) -> Any:
    """`policy` with a far-enough `expires` replaced by a marker, for memo keys: witness only compares
    `expires` with the clock, so two policies that differ in a future expiry behave the same."""
    exp = policy.get("expires") if isinstance(policy, dict) else None
    if not isinstance(exp, str):
        return policy
    when = _parsed_time(exp)
    if when is None:  # malformed: keep the text, it decides the outcome
        return policy
    return {**policy, "expires": "<future>"} if when > now + margin else policy


@functools.lru_cache(maxsize=4096)
def _parsed_time(text: str) -> datetime | None:
    try:
        return parse_rfc3339(text)
    except Exception:
        return None


def static_report(policy: Any, rego: Any = None, version: WitnessVersion | None = None) -> PolicyReport:
    """`check_policy` in verify mode at the fixed NOW; own policies use in-process Rego.

    Memoised on the policy (with a far-future `expires` normalised: it only decides whether the
    expiry checks fire), so the scorer re-checks the reference answer's policy for free. A report
    does not depend on which engine compiled the Rego, only on the modules. Only `errors` and
    `warnings` of a memoised report are meaningful."""
    if isinstance(policy, str):
        data = policy
        try:
            doc = json.loads(policy)
        except ValueError:
            doc = None
    else:
        data, doc = json.dumps(policy), policy
    norm = _expiry_class(doc, NOW, timedelta(days=EXPIRY_WARNING_DAYS + 1))
    key = (json.dumps(norm, sort_keys=True) if norm is not doc else data, (version or versions.LATEST).name)
    hit = _REPORTS.get(key)
    if hit is not None:
        return hit
    if rego is None:
        rego = QUIET_TRUSTED_REGO  # the family's own modules, broken ones included
    report = check_policy(data, now=NOW, mode="verify", rego=cast(Any, rego), version=version)
    _remember(_REPORTS, key, report)
    return report


def findings(report: PolicyReport) -> list[str]:
    return [f"{f.category}|{f.message}|{f.suggestion}" for f in report.errors] + [
        f"warning:{f.category}|{f.message}|{f.suggestion}" for f in report.warnings
    ]


# ----------------------------------------------------------------------------- verification (cached)

_VERIFIED: dict[tuple[str, str, str, str, str], VerifyResult] = {}


def verified(
    policy: dict[str, Any],
    w: PolicyWorld,
    attack: Attack | None,
    version: WitnessVersion,
    refs: dict[str, str] | None = None,
    rego: Any = None,
) -> VerifyResult:
    """`verify_policy` on the genuine (or attacked) pipeline, memoised on the policy's content (a
    future `expires` normalised): the scorer re-checks the reference answer's policy, and worlds
    reused across examples are verified once."""
    names = refs or w.att_files
    evidence = attacked(w, attack) if attack else genuine(w)
    key = (
        json.dumps(_expiry_class(policy, evidence.now, timedelta(0)), sort_keys=True),
        w.spec.key_str,
        json.dumps(attack.to_json(), sort_keys=True) if attack else "",
        version.name,
        json.dumps(names, sort_keys=True),
    )
    hit = _VERIFIED.get(key)
    if hit is not None:
        return hit
    # rego None: the family's own modules, in-process, with regorus's parser warnings kept off stderr
    res = verify_policy(
        policy, evidence, version, refs=names, rego=rego if rego is not None else QUIET_TRUSTED_REGO
    )
    _remember(_VERIFIED, key, res)
    return res


def _first_reason(res: VerifyResult) -> str:
    """The most specific line of the first reason witness gives (e.g. the Rego denial under a
    `collection validation failed:` line), verbatim: a reason that ends a longer line of the printed error
    (policyverify's `attestor policyverify failed: failed to verify policy: policy expired on ...`) is
    given as that whole line."""
    lines = [
        ln.strip().removeprefix("- ").strip()
        for ln in (res.reasons[0] if res.reasons else res.error or "").splitlines()
    ]
    text = next((ln for ln in reversed(lines) if ln), "")
    if text:
        text = next((ln.strip() for ln in (res.error or "").splitlines() if ln.strip().endswith(text)), text)
    return text.replace("`", "'")


# ----------------------------------------------------------------------------- answers

OPENERS: dict[str, tuple[str, ...]] = {
    "fail": (
        "This will fail: {h}",
        "No, `witness verify` rejects this policy: {h}",
        "It won't verify as written: {h}",
        "Verification fails with this policy: {h}",
        "There's a blocking problem: {h}",
        "As written this fails: {h}",
        "This policy is broken: {h}",
    ),
    "silent": (
        "This won't work as intended: {h}",
        "It doesn't do what you want: {h}",
        "Careful, this is broken in a way witness won't report: {h}",
        "There is a silent problem here: {h}",
        "`witness verify` may stay green, but the policy is not enforcing what you wrote: {h}",
    ),
    "weak": (
        "It will verify, but it is weak: {h}",
        "Valid, but too permissive: {h}",
        "This passes, but I'd flag it in a review: {h}",
        "It works, but there is a gap: {h}",
        "Technically fine, but loose: {h}",
        "It needs tightening: {h}",
    ),
    "ok": (
        "This looks correct. {H}",
        "Yes, it's sound. {H}",
        "It's valid as written. {H}",
        "No problems here. {H}",
        "Looks good. {H}",
        "Nothing to fix. {H}",
    ),
}
AUDIT_OPENERS: dict[str, tuple[str, ...]] = {
    "fail": ("Yes, that's a real problem and it fails: {h}", "Your auditor is right, this fails: {h}"),
    "silent": (
        "Yes, that's a real problem, and witness won't report it: {h}",
        "It's a real problem, and witness won't report it: {h}",
    ),
    "weak": ("Yes, that's a real weakness: {h}", "Your auditor has a point, it's too permissive: {h}"),
    "ok": ("It's not a problem. {H}", "False alarm: the policy is fine. {H}", "No, that's fine. {H}"),
}
REGO_LINKS = (
    "Saved as `{file}` (after the module's `name`), it goes into `regopolicies` as `base64 -w0 {file}`:",
    "The policy carries it base64-encoded (save it as `{file}`, then `base64 -w0 {file}`):",
    "Embedded in the complete policy (the `module` value is `base64 -w0 {file}` of the source above):",
)
TSA_NOTES = (
    "The policy has no `timestampauthorities`, so witness checks {certs} at verification time: once "
    "{it} {expire}, the evidence stops verifying, unless the runs use `--timestamp-servers` and the "
    "policy lists that TSA's CA.",
    "Without `timestampauthorities`, {certs} {is} validated at verification time, so evidence signed with "
    "{them} stops verifying when {it} {expire}; timestamping the signatures (`--timestamp-servers` plus the "
    "TSA's CA in the policy) avoids that.",
)
"""No expiry date: the question never states the leaf certificates' `notAfter` (only the world knows it)."""


_YES_NO = re.compile(r"^(Yes|No)\b[,.:]")
REGO_FINE = (
    "The Rego module `{name}` itself is fine: it imports `rego.v1` and builds `deny` as a set of messages, "
    "so `witness verify` evaluates it as written.",
    "Your Rego check `{name}` is not the problem; it parses in `witness verify` and `witness policy check` "
    "and returns `deny` as a set.",
)
"""Said when the user asks about the Rego but the fault lies elsewhere in the policy."""


def fits_question(opener: str, verdict: str, polarity: str) -> bool:
    """Whether `opener` may answer an ask of `polarity` (`traps_requests.ASK_POLARITY`): a leading
    "Yes"/"No" must say what the verdict says ("Is the policy the problem?" gets no "No, ..." for a
    broken policy), and an ask that is no yes/no question gets neither."""
    m = _YES_NO.match(opener)
    if m is None:
        return True
    if polarity not in ("fine", "fault"):
        return False
    says_fine = (m.group(1) == "Yes") == (polarity == "fine")
    return says_fine == (verdict == "ok")


def _opener_class(case: Case) -> str:
    if case.verdict == "broken":
        return "silent" if case.silent else "fail"
    return case.verdict


def _policy_block(rng: random.Random, policy: dict[str, Any], w: PolicyWorld) -> str:
    """The corrected policy, keys in the order of the one the user pasted (`layout_for`)."""
    policy = layout_for(w.runs.pipe.seed).apply(policy)
    text = render(policy) if rng.random() < 0.85 else json.dumps(policy, indent=2)
    return f"```json\n{text}\n```"


def _checks(rng: random.Random, files: Files, w: PolicyWorld, version: WitnessVersion) -> list[str]:
    flag = "" if version.name == versions.DEFAULT else f" --witness-version {version.name}"
    out = [f"witness-evals check policy {files.policy}{flag}"]
    if rng.random() < 0.6:
        out.append(f"witness policy check {files.policy}")
    if files.signing_known:
        out += [files.sign_cmd(), files.verify_cmd(w.steps)]
    return out


def _tsa_note(rng: random.Random, w: PolicyWorld) -> str:
    certs = sorted(set(w.cert_files.values()))
    many = len(certs) > 1
    text = phrasing.pick(rng, TSA_NOTES)
    return text.replace("{is}", "are" if many else "is").format(
        certs=" and ".join(f"`{c}`" for c in certs),
        it="they" if many else "it",
        them="them" if many else "it",
        expire="expire" if many else "expires",
    )


def answer_for(
    rng: random.Random,
    case: Case,
    files: Files,
    version: WitnessVersion,
    *,
    audit: bool,
    names_auditor: bool = False,
    checks: list[str],
    attack_line: str = "",
    polarity: str = "",
    rego_fine: bool = False,
    ci: str = "",
) -> str:
    """The reference answer: verdict and reason, the complete policy, how to check it, notes.

    `audit`: the user relays a reviewer's finding; `names_auditor`: the question says it was an auditor;
    `polarity`: what a "yes" to the user's ask means (`traps_requests.ASK_POLARITY`); `rego_fine`: the
    user asked about the Rego, which is not what is wrong (the answer says so); `ci`: the CI system the
    question shows (`Request.ci`), for CI-specific advice."""
    w = case.world
    cls = _opener_class(case)
    table = (AUDIT_OPENERS if audit and rng.random() < 0.7 else OPENERS)[cls]

    def fits(o: str) -> bool:  # "Your auditor ..." only answers a question that mentions an auditor
        return fits_question(o, case.verdict, polarity) and (names_auditor or "auditor" not in o)

    opener = phrasing.pick(rng, [o for o in table if fits(o)] or [o for o in OPENERS[cls] if fits(o)])
    notes = list(case.notes)
    if case.verdict == "ok":
        head = summary(w, case.shown)
        why = [opener.replace("{H}", head)]
    else:
        head = phrasing.pick(rng, case.heads)
        why = [opener.replace("{h}", head).replace("{H}", head[:1].upper() + head[1:])]
        if rego_fine and w.rego is not None:
            why.append(phrasing.pick(rng, REGO_FINE).format(name=w.rego.name))
        why.append(phrasing.pick(rng, case.reasons))
        if case.fixes:
            fix = phrasing.pick(rng, case.fixes).rstrip()
            why.append(fix[:-1] + "." if fix.endswith(":") else fix)
    artifact = ""
    if case.fixed is not None:
        block = _policy_block(rng, case.fixed, w)
        if case.show_rego and w.rego is not None:
            link = phrasing.pick(rng, REGO_LINKS).format(file=w.rego.file)
            artifact = f"```rego\n{w.rego.text.rstrip()}\n```\n\n{link}\n\n{block}"
        else:
            artifact = block
    if attack_line:
        notes.append(
            phrasing.pick(
                rng,
                (
                    f"Checked with the verifier: with the tightened policy, {case.attack_story} is rejected "
                    f"(the error includes `{attack_line}`).",
                    f"With the policy above, {case.attack_story} no longer verifies; witness's error includes "
                    f"`{attack_line}`.",
                ),
            )
        )
    if w.x509 and rng.random() < 0.5:
        notes.append(_tsa_note(rng, w))
    if w.rego is not None and any(c.startswith("input.branch") for c in w.rego.conditions):
        # a branch rule denies detached checkouts: how to avoid one in that CI
        notes.append(detached_note(ci))
    if any(c.startswith("witness policy check") for c in checks) and version.policy_check_note:
        notes.append(version.policy_check_note + ".")
    if not files.signing_known and case.verdict != "ok":
        notes.append(
            phrasing.pick(
                rng,
                (
                    "Re-sign the policy with your policy key (`witness sign`) before `witness verify` uses it.",
                    "Remember that `witness verify` only takes the signed envelope, so sign the new file again.",
                ),
            )
        )
    lesson = teach.Lesson(why=why, artifact=artifact, check=checks, notes=notes)
    return teach.render(rng, lesson)


# ----------------------------------------------------------------------------- make


def _assert_case(case: Case, version: WitnessVersion) -> None:
    w = case.world
    if case.verdict == "broken":
        found = findings(static_report(case.shown, version=version))
        if not any(case.flagged.lower() in f.lower() for f in found):
            raise AssertionError(f"trap {case.trap} not flagged ({case.flagged!r}): {found}")
    else:
        report = static_report(case.shown, version=version)
        if report.errors:
            raise AssertionError(f"{case.trap}: shown policy has errors: {findings(report)}")
    if case.fixed is not None:
        report = static_report(case.fixed, version=version)
        if report.errors:
            raise AssertionError(f"{case.trap}: fixed policy has errors: {findings(report)}")
    if case.attack is not None:
        res = verified(case.shown, w, case.attack, version)
        if not res.passed:
            raise AssertionError(f"{case.trap}: the weak policy rejects the attack: {res.reasons[:2]}")


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    roll = rng.random()
    verdict = (
        "broken" if roll < SHARES["broken"] else "weak" if roll < SHARES["broken"] + SHARES["weak"] else "ok"
    )
    kind = pick_kind(rng, verdict, version)
    base = policy_world(kind.spec(rng.randrange(POOL)))
    w = dataclasses.replace(base, policy={**base.policy, "expires": policy_expiry(rng)})
    case = kind.make(rng, w, version)
    _assert_case(case, version)
    files = draw_files(rng, w)
    module = _module_text(case.shown, w)

    def output() -> VerifyResult:
        return verified(case.shown, w, None, version, files.atts)

    req = compose(rng, case, files, module=module, output=output)
    if req.intent in ("ci", "passes"):  # the question states that verification fails / passes
        res = verified(case.shown, w, None, version, files.atts)
        if res.passed != (req.intent == "passes"):
            raise AssertionError(
                f"{case.trap}: verify {'passed' if res.passed else 'failed'} for a {req.intent} question"
            )
    attack_line = ""
    if case.attack is not None and case.fixed is not None:
        res = verified(case.fixed, w, case.attack, version)
        if res.passed:
            raise AssertionError(f"{case.trap}: the tightened policy accepts the attack")
        attack_line = _first_reason(res)
    checks = _checks(rng, files, w, version)
    answer = answer_for(
        rng,
        case,
        files,
        version,
        audit=req.intent == "audit",
        names_auditor="auditor" in req.text.lower(),
        checks=checks,
        attack_line=attack_line,
        polarity=req.polarity,
        rego_fine=req.intent == "rego" and _rego_intact(case),
        ci=req.ci,
    )
    check: dict[str, Any] = {
        "kind": "review",
        "verdict": case.verdict,
        "trap": case.trap,
        "world": w.spec.to_json(),
        "steps": list(w.steps),
        "require": [[s] for s in w.steps] if case.verdict == "ok" else case.require,
        "forbid": case.forbid,
        "must": case.must,
        "rego": case.rego_check,
        "expires_fix": case.expires_fix,
        "expires_max": case.expires_max,
        "no_ignored": case.no_ignored,
        "attack": case.attack.to_json() if case.attack else None,
    }
    return Example(
        family=NAME,
        group=f"traps/{case.trap}/{w.spec.seed}/{hashlib.sha256(json.dumps(case.shown).encode()).hexdigest()[:12]}",
        template=f"traps/{req.intent}/{req.index}",
        question=own_line_fences(phrasing.dress(rng, req.text)),
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={
            "trap": case.trap,
            "steps": len(w.steps),
            "key": w.spec.key,
            "signing": w.spec.signing,
            "output": req.with_output,
        },
    )


def _rego_intact(case: Case) -> bool:
    """The pasted policy carries the world's module unchanged, where witness evaluates it: the fault
    (if any) is not in the Rego."""
    w = case.world
    if w.rego is None or _module_text(case.shown, w) != w.rego.text:
        return False
    atts = case.shown.get("steps", {}).get(w.rego.step, {}).get("attestations", [])
    return any(a.get("type") == w.rego.type and "regopolicies" in {k.lower() for k in a} for a in atts)


def _module_text(policy: dict[str, Any], w: PolicyWorld) -> str | None:
    """The decoded Rego of the world's module as it stands in `policy` (None if not base64 text)."""
    import base64

    if w.rego is None:
        return None
    for a in policy.get("steps", {}).get(w.rego.step, {}).get("attestations", []):
        if a.get("type") == w.rego.type:
            for rp in a.get("regopolicies", a.get("rego_policies", a.get("regoPolicies", []))):
                try:
                    return base64.b64decode(rp["module"], validate=True).decode("utf-8")
                except ValueError:
                    return None
    return None


# ----------------------------------------------------------------------------- score

_POSITIVE = re.compile(
    r"\blooks? (?:correct|good|fine|valid|right|ok(?:ay)?|sound)\b"
    r"|\b(?:is|are|it's|seems|appears)(?: perfectly| fully| entirely| completely)? (?:valid|correct|fine|ok(?:ay)?|sound)\b"
    r"|\b(?:will|should|would) (?:work|verify|pass|accept)\b|\bwill be accepted\b"
    r"|\bno (?:problems?|issues?|errors?|mistakes?|bugs?|traps?|gotchas?|changes? (?:are )?(?:needed|required))\b"
    r"|\bnothing (?:is )?(?:wrong|to fix|broken|ignored)\b"
    r"|\b(?:don't|do not|didn't|did not|can't|cannot) (?:see|find|spot) (?:any )?"
    r"(?:problems?|issues?|errors?|mistakes?|bugs?|gotchas?)\b"
    r"|\b(?:valid|correct) (?:as[- ]is|as written)\b|\bnot an? (?:problem|issue)\b|\bfalse alarm\b|\bthat's fine\b"
    r"|^\W*(?:valid|correct|ok(?:ay)?|fine)\b"
)
_NEGATIVE = re.compile(
    r"\b(?:will|would|does|do|is|are)(?: not|n't)(?: \w+)? (?:work|verify|pass|match|accept|accepted|found|evaluated|enforced|enforcing|read)"
    r"|\bwon'?t (?:\w+ )?(?:work|verify|pass|match|be|do|load|parse|unmarshal|report)"
    r"|\b(?:fail|fails|failing|failure)\b|\bbroken\b|\binvalid\b|\bincorrect\b|\bwrong\b"
    r"|\b(?:problems?|issues?|mistakes?|bugs?|errors?|flaws?|gotchas?)\b"
    r"|\bnot (?:valid|correct|right)\b|\breject|\bnever\b|\bcan(?:not|'t) (?:work|verify|pass|match|be)"
    r"|\bignored?\b|\bsilently\b|\bno effect\b|\bdoesn'?t (?:work|match|exist|do what)|\bdoes not do what\b"
    r"|\bmissing\b|\bexpired\b|\bnot (?:going to|gonna) work"
)
_WEAK = re.compile(
    r"\bweak(?:er|ness|nesses)?\b|\btoo (?:permissive|broad|loose|lax|open|long)\b|\bpermissive\b|\bloose\b"
    r"|\blax\b|\btighten|\bharden|\bi'?d flag\b|\bshould be flagged\b|\b(?:a|one) gap\b|\bover-?broad\b"
    r"|\blets? (?:through|in)\b|\bnot (?:strict|tight) enough\b|\bsecurity (?:hole|gap)\b"
)
_CLAUSE = re.compile(r"(?<=[.!?])\s+|:\s|\n+|\s[—–-]\s")
_CLAIM = re.compile(
    r"\b(?:will|would) (?:fail|be rejected)\b|\bwon'?t (?:work|verify|pass)\b|\bwill not (?:work|verify|pass)\b"
    r"|\b(?:is|are) (?:wrong|invalid|broken|incorrect)\b|\bmust be (?:fixed|changed|corrected|renamed)\b"
    r"|\bsilently ignored\b|\bnever match"
)
_CONDITIONAL = re.compile(r"\b(?:if|unless|otherwise|when|without|once|only if|as long as|before|after)\b")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_FENCED = re.compile(r"```.*?(?:```|\Z)", re.S)


def prose(text: str) -> str:
    """The answer without its code blocks."""
    return _FENCED.sub(" ", text[:20_000])


def verdict_of(text: str) -> str | None:
    """'broken' / 'weak' / 'ok' from the first clauses of the answer's prose, or None."""
    head = prose(text)[:800].lower()
    head = re.sub(r"[*_#>|]+", " ", head)
    for clause in [c for c in _CLAUSE.split(head) if c and c.strip() and c.strip() != "why"][:5]:
        if _WEAK.search(clause):
            return "weak"
        masked = _POSITIVE.sub(lambda m: " " * len(m.group(0)), clause)
        if _NEGATIVE.search(masked):
            return "broken"
        if _POSITIVE.search(clause):
            return "ok"
    return None


def claims_error(text: str) -> str | None:
    """A sentence (outside code blocks) that asserts a fault outright, not conditionally."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", prose(text).lower()):
        if _CLAIM.search(sentence) and not _CONDITIONAL.search(sentence):
            return sentence.strip()[:100]
    return None


_LOOKALIKE_DEFENSE = (
    r"\b(?:not|isn't|is not|never|aren't|are not) (?:ignored|dropped|reads?|checks?|checked|uses?|used|required|significant|validated)\b"
    r"|case[- ]?insensitiv|\bbinds?\b|\bis fine\b|\bharmless\b|\bonly a label\b|\bjust a label\b|\birrelevant\b"
    r"|\b(?:doesn't|does not|don't|do not) (?:matter|read|check|use|validate|have to|need to)\b|\bneed not\b|\bneedn't\b"
    r"|\bdocumentation\b|\bcosmetic\b|\bconvention\b|\boptional(?:ly)?\b|\bany (?:string|name|label|value)\b"
    r"|\bloads\b"
)
_MUST = r"\b(?:must|has to|have to|needs to|need to|should|is required to)(?: be| equal| match| use)\b"
_LOOKALIKE_FAULTS: dict[str, tuple[str, str]] = {
    # ok variant -> (what the sentence is about, what would make it a (false) fault claim)
    "camel-case-tag": (
        r"regopolicies",
        r"\bignored\b|\bdropped\b|\bnever (?:evaluated|read|runs?)\b|\bnot (?:evaluated|read|recogni[sz]ed)\b"
        r"|\b(?:doesn't|does not|won't|will not) (?:bind|run|work|be evaluated)\b|\brename\b|" + _MUST,
    ),
    "lowercase-tag": (
        r"artifactsfrom",
        r"\bignored\b|\bdropped\b|\bnot (?:checked|read|recogni[sz]ed)\b|\b(?:doesn't|does not|won't|will not) "
        r"(?:bind|work|apply)\b|\brename\b|" + _MUST,
    ),
    "named-map-key": (
        r"map key|publickeys key|key of (?:the )?`?publickeys",
        _MUST + r"|\bwrong\b|\binvalid\b|\bmismatch",
    ),
    "functionary-type": (
        r"\btype\b",
        r"(?:" + _MUST + r").{0,40}(?:publickey|\broot\b)|\"key\" is (?:invalid|wrong|not valid)"
        r"|\binvalid (?:functionary )?type\b|\bunknown (?:functionary )?type\b",
    ),
    "pkcs1-key": (
        r"pkcs ?#?1|rsa public key",
        r"\bnot (?:supported|accepted|loaded)\b|\bunsupported\b|\bfails? to (?:load|parse)\b|" + _MUST,
    ),
}


def lookalike_claim(text: str, variant: str) -> str | None:
    """A sentence that calls the harmless look-alike of an `ok/<variant>` policy a fault, or None."""
    rule = _LOOKALIKE_FAULTS.get(variant)
    if rule is None:
        return None
    about, fault = rule
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", prose(text).lower()):
        if (
            re.search(about, sentence)
            and re.search(fault, sentence)
            and not re.search(_LOOKALIKE_DEFENSE, sentence)
        ):
            return sentence.strip()[:100]
    return None


def _full_policies(docs: list[Any]) -> list[dict[str, Any]]:
    return [d for d in docs if isinstance(d, dict) and isinstance(d.get("steps"), dict) and "expires" in d]


_REGO_BLOCKS: dict[str, str | None] = {}


def _rego_block_problem(src: str, i: int, ctx: ScoreContext) -> str | None:
    name = f"answer{i}.rego"
    res = ctx.rego.check({name: src}, "verify")
    if not res.ok:
        return f"Rego block {i + 1} does not compile for witness verify: {res.error[:160]}"
    if not res.packages or not all(res.packages.values()):
        return f"Rego block {i + 1} defines no deny rule"
    out = ctx.rego.evaluate({name: src}, {}, "verify")
    if out.kind == "invalid_data":
        return f"Rego block {i + 1}: deny is not a set of strings"
    return None


def _check_rego_blocks(text: str, ctx: ScoreContext) -> str | None:
    """Each Rego block compiles for `witness verify` and its `deny` is a set (memoised on the source)."""
    for i, src in enumerate(answers.rego_modules(text)[:4]):
        key = f"{i}\0{src}"
        if key not in _REGO_BLOCKS:
            _remember(_REGO_BLOCKS, key, _rego_block_problem(src, i, ctx))
        if _REGO_BLOCKS[key]:
            return _REGO_BLOCKS[key]
    return None


def _future_timestamp(text: str) -> bool:
    for m in _RFC3339.findall(text):
        try:
            if parse_rfc3339(m) > NOW:
                return True
        except Exception:  # malformed date parts
            continue
    return False


def _world_of(check: dict[str, Any]) -> PolicyWorld:
    return policy_world(PolicySpec.from_json(check["world"]))


def _check_policy(fixed: dict[str, Any], check: dict[str, Any], ctx: ScoreContext) -> str | None:
    """Why the answer's complete policy is wrong (static check, steps, terms, verifier runs), or None."""
    version = ctx.version(check)
    dumped = json.dumps(fixed)
    try:
        report = static_report(dumped, _LazySandbox(ctx), version)
    except Exception as exc:  # InputError and anything unexpected in untrusted JSON
        return f"policy JSON in the answer cannot be checked: {str(exc)[:120]}"
    if report.errors:
        e = report.errors[0]
        return f"policy in the answer is still invalid: {' '.join(e.message.split())[:160]}"
    if check.get("no_ignored") and any(f.category == "Ignored Key" for f in report.warnings):
        return "policy in the answer still has a key witness ignores"
    if sorted(fixed["steps"]) != sorted(check.get("steps", [])):
        return f"policy in the answer has steps {sorted(fixed['steps'])}, expected {check.get('steps')}"
    for bad in check.get("forbid", []):
        if bad in dumped:
            return f"policy in the answer still contains {bad[:80]!r}"
    for need in check.get("must", []):
        if need not in dumped:
            return f"policy in the answer lacks {need[:80]!r}"
    limit = check.get("expires_max")
    if limit:
        try:
            if parse_rfc3339(str(fixed["expires"])) >= parse_rfc3339(limit):
                return f"policy in the answer still expires after {limit[:10]}"
        except Exception:
            return "policy in the answer has no readable `expires`"
    if "world" not in check:
        return None
    w = _world_of(check)
    lazy = _LazySandbox(ctx)
    res = verified(fixed, w, None, version, rego=lazy)
    if not res.passed:
        return f"policy in the answer does not verify the pipeline: {_first_reason(res)[:160]}"
    if check.get("attack"):
        attack = Attack.from_json(check["attack"])
        res = verified(fixed, w, attack, version, rego=lazy)
        if res.passed:
            return f"policy in the answer still accepts the attack ({attack.kind})"
    return None


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    text = answer
    expected = check.get("verdict")
    got = verdict_of(text)
    if got is None:
        return Score.failed("no clear verdict at the start of the answer")
    if got != expected:
        return Score.failed(f"wrong verdict: answer says {got}, policy is {expected}")
    if expected == "ok":
        claim = claims_error(text) or lookalike_claim(text, str(check.get("trap", "")).removeprefix("ok/"))
        if claim:
            return Score.failed(f"claims a fault in a valid policy: {claim!r}")
    low = text.lower()
    for group in check.get("require", []):
        if not any(str(term).lower() in low for term in group):
            return Score.failed(f"missing key term: one of {group!r}")
    if check.get("expires_fix") and not _future_timestamp(text):
        return Score.failed("no future RFC3339 `expires` timestamp in the answer")
    try:
        docs = answers.json_documents(text)
    except RecursionError:
        return Score.failed("unparseable JSON (too deeply nested)")
    policies = _full_policies(docs)
    if expected == "weak" and not policies:
        return Score.failed("no complete tightened policy in the answer")
    if policies:
        why = _check_policy(policies[-1], check, ctx)
        if why:
            return Score.failed(why)
    if check.get("rego"):
        why = _check_rego_blocks(text, ctx)
        if why:
            return Score.failed(why)
    return Score.passed()


FAMILY = Family(
    name=NAME,
    description="Review a witness policy: spot the REFERENCE §8 trap or the weakness (or confirm it is valid) "
    "and give the complete corrected policy.",
    make=make,
    score=score,
)
