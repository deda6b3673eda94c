"""stats.png: examples per family and split, and answer+question length per family."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from witness_evals.generate.splits import SPLITS


def plot_stats(stats: dict[str, Any], lengths: Mapping[str, Sequence[int]]) -> bytes:
    """PNG bytes (deterministic: no dates in the metadata); `lengths`: approx. tokens per example by family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fams = list(stats["families"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    bottom = [0] * len(fams)
    for split in SPLITS:
        vals = [stats["families"][f][split] for f in fams]
        left.bar(fams, vals, bottom=bottom, label=split)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    left.set_title("examples per family")
    left.legend()
    left.tick_params(axis="x", rotation=30)
    right.boxplot([list(lengths.get(f, ())) or [0] for f in fams], showfliers=False)
    right.set_xticks(range(1, len(fams) + 1), fams, rotation=30)
    right.set_title("approx. tokens per example (question + answer)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
