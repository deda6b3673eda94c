"""witness-bench: score any model on Witness work people ask for, by executing checks on its answers.

A suite (`suites`) is hand-written tasks (`tasks/hand/*.yaml`) plus generated ones (`builders`); a
`task.Task` is the conversation a model sees and the hidden check its answer must pass. `run` asks a
model through `witness_evals.inference` (per context tier, `tiers`, and sample), pulls the artifacts out
of each answer (`answers`), scores them by execution (`scorers`: Rego in the sandbox, policies through
the core verifier against hidden pipelines, commands through the CLI grammar) and writes samples and a
summary (`summary`: pass@k, intervals, the failure taxonomy); `fix_rounds` records `--fix N`, `report`
renders runs side by side, `paired` compares two runs task by task (gained, lost, exact McNemar p),
`arms` two arms of several runs (trainings) with a bootstrap interval over tasks and runs,
`decontaminate` measures overlap with a training set, `fuzz` feeds hostile answers, `inspect_task`
adapts the suite to inspect_ai.
"""
