"""The phrasing layer varies how a request is asked without touching what is asked."""

from __future__ import annotations

import random
import re

from witness_evals.generate import phrasing, teach

REQUEST = (
    "Can you write the `witness run` command for step `build`? It signs with `keys/ci.pem` and "
    "should record the lockfiles because we need them.\n\n```yaml\nsteps:\n  - run: make the build\n```"
)


def _code(text: str) -> list[str]:
    return re.findall(r"```.*?```|`[^`\n]*`", text, re.S)


def test_dress_keeps_every_code_span_and_fence_verbatim() -> None:
    for seed in range(400):
        out = phrasing.dress(random.Random(seed), REQUEST)
        assert _code(out) == _code(REQUEST), seed


def test_dress_never_glues_text_to_a_code_fence() -> None:
    for seed in range(400):
        out = phrasing.dress(random.Random(seed), REQUEST)
        for line in out.splitlines():
            if "```" in line:
                assert re.fullmatch(r"```[a-z]*", line), (seed, line)


def test_dress_gives_many_surface_forms_and_is_deterministic() -> None:
    outs = [phrasing.dress(random.Random(seed), REQUEST) for seed in range(600)]
    assert len(set(outs)) >= 150
    assert outs == [phrasing.dress(random.Random(seed), REQUEST) for seed in range(600)]


def test_closers_never_ask_for_a_format() -> None:
    for phrase in phrasing.FIXED_PHRASES:
        assert not re.search(r"short|exact syntax|only the|just the", phrase, re.I), phrase


def test_typo_only_touches_listed_words_outside_code() -> None:
    text = "Please check `the please` and\n```\nplease the\n```\nwhich one, really?"
    seen = {phrasing.typo(random.Random(s), text) for s in range(200)}
    assert seen == {text.replace("which", "whcih"), text.replace("really", "realy")}
    for out in seen:
        assert _code(out) == _code(text)
    assert phrasing.typo(random.Random(0), "`only code`") == "`only code`"


def test_typo_never_touches_a_slot_value_said_in_words() -> None:
    """A deadline such as "the end of June 2031" is a slot value the answer converts: kept verbatim."""
    text = "Keep it valid until the end of June 2031, which is the plan."
    seen = {phrasing.typo(random.Random(s), text, keep=("the end of June 2031",)) for s in range(200)}
    assert seen == {text.replace("which", "whcih"), text.replace("the plan", "teh plan")}
    assert all("the end of June 2031" in out for out in seen)


def test_render_keeps_the_whole_artifact_and_all_checks() -> None:
    artifact = '```json\n{"expires": "2030-01-01T00:00:00Z", "steps": {}}\n```'
    lesson = teach.Lesson(
        why=["The policy has no steps yet.", "witness verify needs at least one."],
        artifact=artifact,
        check=["witness sign -f policy.json -k key.pem -o signed.json"],
        notes=["Expiry is RFC 3339."],
    )
    layouts = set()
    for seed in range(60):
        out = teach.render(random.Random(seed), lesson)
        assert artifact in out and "witness sign -f policy.json" in out and "RFC 3339" in out
        layouts.add(out.split("\n", 1)[0])
    assert len(layouts) >= 3


def test_a_sign_off_never_lands_on_a_list_item() -> None:
    listed = "Write the verify command:\n- policy `p.json`\n- key `k.pub`"
    for seed in range(300):
        out = phrasing.dress(random.Random(seed), listed)
        assert "- key `k.pub`\n" in out + "\n", (seed, out)


def test_asides_ask_for_nothing_an_answer_cannot_give() -> None:
    """An aside is glued onto any family's request: it must not ask "what this enforces" of a question about a
    command name or a config file."""
    for phrase in phrasing.FIXED_PHRASES:
        assert not re.search(r"enforce|what (?:this|it) does|explain", phrase, re.I), phrase


def test_render_keeps_one_bullet_list() -> None:
    lesson = teach.Lesson(
        why=["Lead.", "Reason one.", "Reason two."],
        artifact="```bash\nwitness version\n```",
        notes=["Note one.", "Note two."],
    )
    for seed in range(80):
        out = teach.render(random.Random(seed), lesson)
        assert not re.search(r"^- .*\n\n- ", out, re.M), out
