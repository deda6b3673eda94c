"""Dataset generation through the CLI: this tree against a git revision, runs interleaved.

On a shared 2-core VM one run's wall time moves by 10-20 % with the neighbours' load, more than most
changes to the generator. So the two code versions run alternately (A, B, B, A, A, B, ...), each as
`python -m witness_evals generate --out TMP --n N --seed 0 --workers W --no-progress` from its own
source tree (the revision checked out in a temporary `git worktree`), and the script prints, per run,
wall seconds, written examples/s and CPU seconds (user + system of the run and its workers, less
sensitive to the neighbours than wall time), then each version's median, and checks that both wrote
the same train.jsonl (a speed change must not change the data).

    python benchmarks/generate_ab.py --base 7e5ed0d --n 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_once(src: Path, n: int, workers: int) -> tuple[float, float, str]:
    """(wall s, CPU s, sha256 of train.jsonl) of one `generate` with `src` first on the path."""
    out = Path(tempfile.mkdtemp(prefix="gen-ab-"))
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "witness_evals", "generate", "--out", str(out / "d"), "--n", str(n)]
    cmd += ["--seed", "0", "--workers", str(workers), "--no-progress"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    digest = hashlib.sha256((out / "d" / "train.jsonl").read_bytes()).hexdigest()
    shutil.rmtree(out)
    return wall, cpu, digest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare with (e.g. a commit id)")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="runs of each version")
    args = ap.parse_args()
    tree = Path(tempfile.mkdtemp(prefix="gen-ab-base-"))
    added = subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), args.base],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # fmt: skip
    if added.returncode != 0:
        tree.rmdir()
        print(
            f"error: --base {args.base!r}: not a revision of {REPO} (git worktree add failed)",
            file=sys.stderr,
        )
        sys.exit(2)
    versions = {"base": tree / "src", "this": REPO / "src"}
    results: dict[str, list[tuple[float, float, str]]] = {name: [] for name in versions}
    try:
        for r in range(args.rounds):
            order = ["base", "this"] if r % 2 == 0 else ["this", "base"]
            for name in order:
                wall, cpu, digest = run_once(versions[name], args.n, args.workers)
                results[name].append((wall, cpu, digest))
                print(f"round {r + 1} {name:4s}: {wall:6.1f} s wall, {args.n / wall:5.0f} written/s, "
                      f"{cpu:6.1f} s CPU, train.jsonl {digest[:12]}", flush=True)  # fmt: skip
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    med = {name: (statistics.median(w for w, _, _ in rs), statistics.median(c for _, c, _ in rs))
           for name, rs in results.items()}  # fmt: skip
    for name, (wall, cpu) in med.items():
        print(f"median {name:4s} ({args.base if name == 'base' else 'this tree'}): {wall:6.1f} s wall, "
              f"{args.n / wall:5.0f} written/s, {cpu:6.1f} s CPU")  # fmt: skip
    print(f"this tree vs base: x{med['base'][0] / med['this'][0]:.2f} written/s (median wall), "
          f"CPU {med['this'][1] / med['base'][1] - 1:+.1%}")  # fmt: skip
    same = {d for rs in results.values() for _, _, d in rs}
    print("train.jsonl identical in every run" if len(same) == 1 else f"train.jsonl DIFFERS: {sorted(same)}")


if __name__ == "__main__":
    main()
