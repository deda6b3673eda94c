"""`run -d/--workingdir` is compared as a cleaned path (scorers/command.DIRECTORY_FLAGS): go-witness v0.12.0
runs the command in it and walks it for materials and products with paths relative to it (commandrun.go:171,
attestation/file/file.go:41-46, product.go:124), so `services/billing/`, `./services/billing` and
`services/billing` give the same run; another directory still fails."""

from __future__ import annotations

import copy

from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import load_suite


def test_workingdir_spellings_of_one_directory_pass_without_a_loose_list() -> None:
    t = next(t for t in load_suite("hand") if t.id == "hand/command/workingdir-monorepo")
    check = copy.deepcopy(t.check)
    for c in check["commands"]:
        c.pop("loose", None)
    base = "witness run -s billing-build -k ci/keys/build.pem -d {d} -o attestations/billing-build.json -- make release"
    with ScoreContext() as ctx:
        for d in ("services/billing", "services/billing/", "./services/billing/"):
            assert score(check, f"```bash\n{base.format(d=d)}\n```\n", ctx).passed, d
        assert not score(check, f"```bash\n{base.format(d='services')}\n```\n", ctx).passed
