"""Pasted policies in the key orders people write, and corrections that keep the user's order."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from witness_evals.generate.families import diagnose, policies, traps
from witness_evals.generate.worlds.layout import CANONICAL, STEP_KEYS, draw_layout, layout_for

POLICY = {
    "expires": "2031-01-01T00:00:00Z",
    "steps": {
        "build": {"name": "build", "attestations": [{"type": "t"}], "functionaries": [{"type": "publickey"}]},
        "package": {
            "name": "package",
            "attestations": [{"type": "t"}],
            "functionaries": [{"type": "publickey"}],
            "artifactsFrom": ["build"],
        },
    },
    "publickeys": {"k": {"keyid": "k", "key": "a2V5"}},
}


def test_a_layout_changes_the_order_never_the_value() -> None:
    orders = set()
    for seed in range(200):
        out = draw_layout(random.Random(seed)).apply(POLICY)
        assert out == POLICY  # dict equality ignores order: the same JSON value
        orders.add((tuple(out), tuple(out["steps"]["package"])))
    assert len(orders) >= 8, orders
    assert any(o[1].index("artifactsFrom") < o[1].index("functionaries") for o in orders)
    assert json.dumps(CANONICAL.apply(POLICY)) == json.dumps(POLICY)  # the default leaves a policy as it is
    assert layout_for(7) == layout_for(7)


def _step_orders(text: str) -> list[list[list[str]]]:
    """For each JSON policy block of `text`: the key order of each of its steps."""
    out = []
    for block in re.findall(r"```json\n(.*?)\n```", text, re.S):
        try:
            doc: Any = json.loads(block)
        except json.JSONDecodeError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("steps"), dict):
            out.append([[k for k in step if k in STEP_KEYS] for step in doc["steps"].values()])
    return out


def _shared_order(ex: Any) -> tuple[bool, bool]:
    """(the question's and the answer's policies have one step-key order each and it is the same,
    that order is not the generator's own)."""
    asked, fixed = _step_orders(ex.question), _step_orders(ex.answer)
    if len(asked) != 1 or len(fixed) != 1:
        return True, False
    order = {
        tuple(k for k in keys if k in ("attestations", "functionaries")) for keys in asked[0] if len(keys) > 2
    }
    same = all(
        [k for k in a if k in ("attestations", "functionaries", "artifactsFrom")]
        == [k for k in b if k in ("attestations", "functionaries", "artifactsFrom")]
        for a, b in zip(asked[0], fixed[0], strict=False)
        if set(a) == set(b)
    )
    return same, order == {("functionaries", "attestations")}


def test_corrections_keep_the_pasted_policys_key_order() -> None:
    """Diagnoses, policy updates and reviews: the answer's policy lists each step's keys in the order of
    the policy the user pasted, and some pasted policies are not in the generator's order."""
    for family, n in ((diagnose, 300), (policies, 300), (traps, 200)):
        shuffled = 0
        for seed in range(n):
            ex = family.make(random.Random(seed))
            same, other = _shared_order(ex)
            assert same, (family.NAME, seed)
            shuffled += other
        assert shuffled >= 3, (family.NAME, shuffled)
