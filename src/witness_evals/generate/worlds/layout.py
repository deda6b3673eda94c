"""How a user's policy file is laid out: the order of its keys.

Witness reads a policy as JSON objects, so key order never changes what it means, but people write
`artifactsFrom` before `functionaries`, `publickeys` above `steps`, or `expires` last. A pasted policy
gets one of these layouts, and the answer that corrects it keeps the same one. SmolLM2 tuned only on
the generator's one order dropped the `functionaries` of a step whose pasted version listed them after
`artifactsFrom` (witness-bench 2026-12-06: 4 hand-written diagnose tasks).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STEP_KEYS = ("name", "attestations", "functionaries", "artifactsFrom")
TOP_KEYS = ("expires", "steps", "publickeys", "roots", "timestampauthorities")
CANONICAL_SHARE = 0.5
"""Share of pasted policies left in the generator's own order (the one its fresh policies use)."""


@dataclass(frozen=True)
class Layout:
    """Key orders: of a policy's top level and of each step; keys not listed keep their place after them
    (the default, no keys listed, leaves a policy as it is)."""

    top: tuple[str, ...] = ()
    step: tuple[str, ...] = ()

    def apply(self, policy: Mapping[str, Any]) -> dict[str, Any]:
        """`policy` with its keys in this layout's order (the same JSON value)."""
        out = _ordered(policy, self.top)
        steps = out.get("steps")
        if isinstance(steps, Mapping):
            out["steps"] = {
                name: _ordered(step, self.step) if isinstance(step, Mapping) else step
                for name, step in steps.items()
            }
        return out


CANONICAL = Layout()


def _ordered(obj: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    first = [k for k in order if k in obj]
    return {k: obj[k] for k in [*first, *(k for k in obj if k not in first)]}


def draw_layout(rng: random.Random) -> Layout:
    """The generator's order half the time, else a shuffled one (a step's `name` mostly stays first)."""
    if rng.random() < CANONICAL_SHARE:
        return CANONICAL
    rest = list(STEP_KEYS[1:])
    rng.shuffle(rest)
    step = ("name", *rest) if rng.random() < 0.9 else (*rest, "name")
    keys = list(TOP_KEYS[2:])
    top = (
        ("expires", "steps", *keys)
        if rng.random() < 0.4
        else (*keys, "steps", "expires")
        if rng.random() < 0.5
        else ("steps", *keys, "expires")
    )
    return Layout(top=top, step=step)


def layout_for(seed: int) -> Layout:
    """The layout of the pipeline with this seed: the question that pastes its policy and the answer that
    corrects it draw the same one without passing it along."""
    return draw_layout(random.Random(f"layout/{seed}"))
