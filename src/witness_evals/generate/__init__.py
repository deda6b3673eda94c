"""The generator: training examples in which every answer is checked by the model of witness.

`families` make examples from a seeded RNG (commands, config, diagnose, facts, policies, rego, traps),
drawing their settings from `worlds` (keys, identities, pipelines, runs, CI) and their wording from
`phrasing` and the per-family question modules; `teach` shapes the answers (why, the complete artifact,
how to check it). `build` makes and verifies examples in parallel, `dataset` writes a dataset directory
(dedup, template split, JSONL, Parquet via `parquet`, checks, `stats`, `leakage`), `validate` and
`score` re-run the hidden checks on any chat JSONL, `paraphrase` optionally rewrites prompts with an LLM.
"""
