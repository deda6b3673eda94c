"""Answer speed of the shared inference module: the plain `model.generate` loop vs the fast engine.

Both variants run in the same process on the same prompts (greedy, the same budget). `plain` is
left-padded batches in input order; `fast` is `load_backend(fast=True)`: the static-cache engine on
CUDA, length-sorted batches elsewhere; `batched`, `cb` and `static` force that engine,
`batched-onepass`/`static-onepass` the same without stages (every batch runs as long as its longest
answer), and `batched-full`/`static-full` without stages and without the loop stop (every answer runs
to its end even when it repeats itself), `static-repeatkv` with transformers' `sdpa` attention, which
repeats the key/value heads of each group on every decoding step (`packed_gqa=0`). A variant's answers are compared with the first variant's (the baseline, usually `plain`):
`identical_to_base` counts equal texts, `prefix_of_base` texts that are the baseline's cut short
(what the loop stop does). Each variant is
warmed up on two short prompts first; its timed call includes everything after that (the
continuous-batching cache set-up and CUDA-graph capture too).

Prompts: `--suite NAME` (witness-bench's requests, every task in each of `--tiers`, in a seeded
shuffle so a `--plain-limit` subset is a random sample), `--prompts FILE` (JSONL of
{"messages": [...]}; a last assistant turn is dropped) or N synthetic Witness questions of varied
length (some carry a policy or an attestation excerpt).
`--plain-limit K` times the plain loop on the first K prompts only and extrapolates its total
at the measured rate (labelled in the table); speed-up is always total time / total time.

    python benchmarks/inference_speed.py --n 8 --max-new-tokens 16            # CPU smoke test
    python benchmarks/inference_speed.py --n 1500 --plain-limit 400 --json out.json   # GPU
    python benchmarks/inference_speed.py --suite default --max-new-tokens 1536 --plain-limit 128  # the suite
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from witness_evals.inference import Completion, GenerationSettings, Request, load_backend

SYSTEM = "You are an expert on in-toto/witness. Answer precisely."
FLAGS = ["--step", "--signer-file-key-path", "--attestations", "--outfile", "--policy", "--publickey"]
TOPICS = [
    "Which flag of `witness run` {verb} {flag}?",
    "Explain what the {att} attestor records and when it runs.",
    "Write a `witness run` command for step {step} that signs with {key} and enables the {att} attestor.",
    "Write a Rego policy for the {att} attestor that denies when {cond}.",
    "How does `witness verify` decide that step {step} is satisfied? Mention functionaries and {att}.",
    "What is wrong with this command: `witness run --step {step} --key {key} -a {att} -- make`?",
    "List the attestors that run by default and say which one records {what}.",
]
VERBS = ["sets", "corresponds to", "replaces", "is the short form of"]
CONDS = ["the exit code is not 0", "the commit is unsigned", "the branch is not main", "a secret is found"]
WHATS = ["environment variables", "the git commit", "file digests", "the command's output"]
POLICY = """{{"expires": "2030-01-01T00:00:00Z", "steps": {{"{step}": {{"name": "{step}",
"attestations": [{{"type": "https://witness.dev/attestations/command-run/v0.1",
"regopolicies": []}}], "functionaries": [{{"type": "publickey", "publickeyid": "{kid}"}}]}}}},
"publickeys": {{"{kid}": {{"keyid": "{kid}", "key": "LS0tLS1CRUdJTi..."}}}}}}"""


def synthetic_prompts(n: int, seed: int = 0) -> list[list[dict[str, str]]]:
    """`n` Witness-style chats of varied length (25 % carry a policy excerpt, some a system prompt)."""
    from witness_evals.witness.attestors import ATTESTORS

    rng = random.Random(seed)
    names = list(ATTESTORS)
    chats: list[list[dict[str, str]]] = []
    for _ in range(n):
        step = rng.choice(["build", "test", "package", "scan", "deploy"])
        question = rng.choice(TOPICS).format(
            verb=rng.choice(VERBS),
            flag=rng.choice(FLAGS),
            att=rng.choice(names),
            step=step,
            key=rng.choice(["key.pem", "build-key.pem", "signer.pem"]),
            cond=rng.choice(CONDS),
            what=rng.choice(WHATS),
        )
        if rng.random() < 0.25:
            kid = f"{rng.getrandbits(256):064x}"
            question = f"Given this policy:\n{POLICY.format(step=step, kid=kid)}\n{question}"
        chat = [{"role": "user", "content": question}]
        if rng.random() < 0.5:
            chat.insert(0, {"role": "system", "content": SYSTEM})
        chats.append(chat)
    return chats


def suite_prompts(name: str, tiers: list[str], seed: int) -> tuple[list[str], list[list[dict[str, str]]]]:
    """witness-bench's requests (ids as the bench names them) for every task of suite `name` in each
    tier, shuffled with `seed`."""
    from witness_evals.bench.run import request_id
    from witness_evals.bench.suites import load_suite
    from witness_evals.bench.tiers import messages_for

    pairs = [(request_id(t.id, tier, 0), messages_for(t, tier)) for t in load_suite(name) for tier in tiers]
    random.Random(seed).shuffle(pairs)
    return [i for i, _ in pairs], [c for _, c in pairs]


def read_prompts(path: Path, n: int | None) -> list[list[dict[str, str]]]:
    chats: list[list[dict[str, str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        messages = json.loads(line)["messages"]
        if messages and messages[-1].get("role") == "assistant":
            messages = messages[:-1]
        chats.append(messages)
    return chats[:n] if n else chats


VARIANTS = (
    "plain",
    "fast",
    "batched",
    "cb",
    "static",
    "batched-onepass",
    "static-onepass",
    "batched-full",
    "static-full",
    "static-repeatkv",
)


def measure(
    spec: str, variant: str, chats: list[list[dict[str, str]]], settings: GenerationSettings, args: Any
) -> tuple[dict[str, Any], list[Completion]]:
    """Time one variant: `plain`/`fast` are `load_backend(fast=...)`; `batched`/`cb`/`static` force
    that engine, `-onepass` without stages, `-full` without stages and without the loop stop,
    `-repeatkv` with transformers' own grouped-query attention (`packed_gqa=0`)."""
    engine, _, suffix = variant.partition("-")
    if engine in ("batched", "cb", "static"):
        if not spec.startswith("hf:") and spec != "default":
            sys.exit(f"variant {variant} needs an hf: model")
        spec = f"{'hf:default' if spec == 'default' else spec},engine={engine}"
        spec += {"full": ",stop_loops=0,stages=0", "onepass": ",stages=0", "repeatkv": ",packed_gqa=0"}.get(
            suffix, ""
        )
    backend = load_backend(spec, fast=variant != "plain", device=args.device, batch_size=args.batch_size)
    try:
        warm = [Request(f"warm{i}", [{"role": "user", "content": "Say hi."}]) for i in range(2)]
        backend.generate(warm, GenerationSettings(max_new_tokens=8))
        requests = [Request(str(i), chat) for i, chat in enumerate(chats)]
        _sync()
        started = time.perf_counter()
        done = backend.generate(requests, settings)
        _sync()
        seconds = time.perf_counter() - started
        info = backend.describe()
    finally:
        backend.close()
    tokens = sum(c.completion_tokens or 0 for c in done)
    stopped = sum(1 for c in done if (c.completion_tokens or 0) < settings.max_new_tokens)
    return {
        "variant": variant,
        "engine": info.get("last_engine") or info.get("kind"),
        "device": info.get("device"),
        "dtype": info.get("dtype"),
        "prompts": len(chats),
        "seconds": round(seconds, 3),
        "answers_per_s": len(chats) / seconds,
        "tokens_per_s": tokens / seconds,
        "generated_tokens": tokens,
        "prompt_tokens": sum(c.prompt_tokens or 0 for c in done),
        "stopped_before_budget": stopped,
        "errors": sum(1 for c in done if c.error),
        "versions": info.get("versions"),
    }, done


def _sync() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    except ImportError:
        pass


def print_table(rows: list[dict[str, Any]], title: str, n_prompts: int) -> None:
    """The comparison table; speed-up is total time of `plain` / total time of the variant."""
    plain = next((r for r in rows if r["variant"] == "plain"), None)
    for row in rows:
        row["speedup_vs_plain"] = plain["total_s"] / row["total_s"] if plain else None
    print(f"\n{title}")
    base = rows[0]["variant"] if rows else "-"
    header = (
        f"{'variant':16} {'engine':10} {'prompts':>8} {'answers/s':>10} {'gen tok/s':>10} {'total s':>10} "
        f"{'speed-up':>9} {'same as 1st':>12} {'1st cut':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        measured = f"{row['prompts']}" + ("*" if row["extrapolated"] else "")
        speedup = f"{row['speedup_vs_plain']:.2f}x" if row["speedup_vs_plain"] else "-"
        print(
            f"{row['variant']:16} {row['engine']!s:10} {measured:>8} {row['answers_per_s']:>10.2f} "
            f"{row['tokens_per_s']:>10.0f} {row['total_s']:>10.1f} {speedup:>9} "
            f"{row.get('identical_to_base', '-'):>12} {row.get('prefix_of_base', '-'):>8}"
        )
    print(
        f"same as 1st: answers identical to {base}'s; 1st cut: equal to {base}'s or {base}'s cut short "
        "(the loop stop)"
    )
    if any(r["extrapolated"] for r in rows):
        print(
            f"* timed on that many (the first) prompts only; total s extrapolated to {n_prompts} at the measured rate"
        )


def combine(paths: list[Path], out: Path | None) -> None:
    """One table from the --json files of separate runs (one variant per process, same prompts)."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    rows = [row for run in runs for row in run["rows"]]
    if not rows:
        sys.exit("no rows in " + ", ".join(map(str, paths)))
    print_table(rows, runs[0]["title"] + f" (combined from {len(paths)} runs)", runs[0]["n_prompts"])
    if out:
        out.write_text(json.dumps({"combined": [str(p) for p in paths], "rows": rows}, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hf:default", help="model spec (default: hf:default)")
    ap.add_argument("--prompts", type=Path, help="JSONL of {messages: [...]} (default: synthetic)")
    ap.add_argument("--suite", help="witness-bench suite whose requests to answer (default, hand, quick...)")
    ap.add_argument("--tiers", default="bare,context", help="with --suite: which tiers' requests")
    ap.add_argument(
        "--n", type=int, default=400, help="number of prompts (with --suite/--prompts: at most; 0: all)"
    )
    ap.add_argument("--max-new-tokens", type=int, default=1024)
    ap.add_argument("--variants", default="plain,fast", help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--plain-limit", type=int, default=0, help="time plain on the first K prompts only")
    ap.add_argument(
        "--limit", action="append", default=[], metavar="VARIANT=K", help="time VARIANT on K prompts only"
    )
    ap.add_argument("--device", default=None)
    ap.add_argument("--batch-size", type=int, default=None, help="batch size of plain/batched engines")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument(
        "--answers",
        type=Path,
        help="write the last variant's answers here (JSONL; with --suite: `bench --model answers:FILE` scores them)",
    )
    ap.add_argument(
        "--combine", type=Path, nargs="+", help="print one table from these --json files and exit"
    )
    args = ap.parse_args()
    if args.combine:
        combine(args.combine, args.json)
        return

    if args.suite:
        tiers = [t.strip() for t in args.tiers.split(",") if t.strip()]
        ids, chats = suite_prompts(args.suite, tiers, args.seed)
        ids, chats = (ids[: args.n], chats[: args.n]) if args.n else (ids, chats)
    else:
        chats = (
            read_prompts(args.prompts, args.n or None)
            if args.prompts
            else synthetic_prompts(args.n, args.seed)
        )
        ids = [str(i) for i in range(len(chats))]
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    rows: list[dict[str, Any]] = []
    answers: dict[str, list[Completion]] = {}
    limits = {"plain": args.plain_limit}
    for text in args.limit:
        name, _, value = text.partition("=")
        limits[name] = int(value)
    for variant in [v.strip() for v in args.variants.split(",") if v.strip()]:
        if variant not in VARIANTS:
            sys.exit(f"unknown variant {variant!r} ({', '.join(VARIANTS)})")
        subset = chats[: limits[variant]] if limits.get(variant) else chats
        print(f"[bench] {variant}: {len(subset)} prompts ...", file=sys.stderr, flush=True)
        row, done = measure(args.model, variant, subset, settings, args)
        row["total_s"] = row["seconds"] * len(chats) / len(subset)
        row["extrapolated"] = len(subset) < len(chats)
        rows.append(row)
        answers[variant] = done
        print(
            f"[bench] {variant} ({row['engine']}): {row['seconds']:.1f} s, {row['generated_tokens']} tokens, "
            f"{row['stopped_before_budget']} stopped before the budget, {row['errors']} errors",
            file=sys.stderr,
            flush=True,
        )
    if rows:  # greedy texts of the prompts both the first variant and this one answered
        base = answers[rows[0]["variant"]]
        for row in rows:
            pairs = list(zip(base, answers[row["variant"]], strict=False))
            row["baseline"] = rows[0]["variant"]
            row["identical_to_base"] = f"{sum(a.text == b.text for a, b in pairs)}/{len(pairs)}"
            row["prefix_of_base"] = f"{sum(a.text.startswith(b.text) for a, b in pairs)}/{len(pairs)}"
    title = (
        f"model {args.model}; {len(chats)} prompts"
        f"{f' (suite {args.suite}, tiers {args.tiers})' if args.suite else ''}; max_new_tokens "
        f"{args.max_new_tokens}; greedy; device {rows[0]['device'] if rows else '?'} "
        f"({rows[0]['dtype'] if rows else '?'})"
    )
    print_table(rows, title, len(chats))
    if args.json:
        settings_out = vars(args) | {"prompts": str(args.prompts), "answers": str(args.answers)}
        payload = {"title": title, "n_prompts": len(chats), "settings": settings_out, "rows": rows}
        args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    if args.answers and rows:
        last = answers[rows[-1]["variant"]]
        with args.answers.open("w", encoding="utf-8") as fh:
            for rid, c in zip(ids, last, strict=False):
                row = {"id": rid, "answer": c.text, "prompt_tokens": c.prompt_tokens}
                fh.write(json.dumps(row | {"completion_tokens": c.completion_tokens}) + "\n")


if __name__ == "__main__":
    main()
