"""A node build's entry point is a scenario fact: package.json `main`, the tsconfig's `outDir`, the
TypeScript source and the build's products all follow it; the default keeps the checkout it always had."""

from __future__ import annotations

import json
import random

import pytest

from witness_evals.witness.attestors import Scenario, workdir


def _node(seed: int, **kw: str) -> Scenario:
    return Scenario.random(random.Random(seed), language="node", step_kind="build", **kw)


@pytest.mark.parametrize("entry", ["build/main.js", "lib/index.js", "out/server.js"])
def test_the_checkout_and_the_products_follow_the_entry(entry: str) -> None:
    sc = _node(3, node_entry=entry)
    out_dir, stem = entry.split("/")[0], entry.split("/")[1].removesuffix(".js")
    assert json.loads(sc.files_before["package.json"])["main"] == entry
    assert json.loads(sc.files_before["tsconfig.json"])["compilerOptions"]["outDir"] == out_dir
    assert [p for p in sc.files_before if p.startswith("src/")] == [f"src/{stem}.ts"]
    assert f"{out_dir}/\n" in sc.files_before[".gitignore"].decode()
    assert sc.product_paths() == [entry, f"{entry}.map"]
    source_map = json.loads(sc.files_after[f"{entry}.map"])
    assert source_map["file"] == f"{stem}.js" and source_map["sources"] == [f"../src/{stem}.ts"]
    assert sc.extras == {"node_entry": entry}


def test_the_default_entry_draws_and_writes_what_it_did() -> None:
    """Only the entry's own files differ; every other fact of the seed (commit, lockfile, times) is the same,
    and naming the default is the same as naming nothing."""
    plain, named, moved = (
        _node(7),
        _node(7, node_entry=workdir.NODE_ENTRY),
        _node(7, node_entry="lib/main.js"),
    )
    assert plain == named and plain.extras == {}
    assert plain.product_paths() == ["dist/index.js", "dist/index.js.map"]
    assert plain.files_before[".gitignore"] == b"bin/\ndist/\ntarget/\nnode_modules/\n*.log\n"
    assert (moved.commit, moved.start_time, moved.env) == (plain.commit, plain.start_time, plain.env)
    same = {"package.json", "tsconfig.json", ".gitignore", "src/index.ts", "src/main.ts"}
    assert {k: v for k, v in moved.files_before.items() if k not in same} == {
        k: v for k, v in plain.files_before.items() if k not in same
    }


@pytest.mark.parametrize("bad", ["index.js", "dist/sub/index.js", "dist/index.ts"])
def test_a_malformed_entry_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"OUTDIR/STEM\.js"):
        _node(1, node_entry=bad)
