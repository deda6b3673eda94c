"""The package layout: no import cycles, and imports point down the layers.

The import graph of `src/witness_evals` is built from the source (every `import` statement,
module-level and inside functions or `if TYPE_CHECKING:` blocks alike), so a cycle cannot hide
behind a late import. `from pkg import sub` counts as an import of `pkg.sub` when that is a module;
importing `pkg.sub` is not counted as an import of `pkg/__init__.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "witness_evals"

Graph = dict[str, set[str]]


def module_files(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every `.py` file of the package."""
    out: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _known(name: str, modules: Iterable[str]) -> str | None:
    """The longest prefix of dotted `name` that is a module of the package."""
    mods = set(modules)
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in mods:
            return candidate
    return None


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """Modules of the package that `module` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _known(alias.name, modules)
                if target is not None:
                    out.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                target = sub if sub in modules else _known(base, modules)
                if target is not None:
                    out.add(target)
    out.discard(module)
    return out


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> Graph:
    files = module_files(root, package)
    return {name: imports_of(name, path, files) for name, path in files.items()}


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the strongly connected components of `graph`, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                components.append(sorted(comp))
    return sorted(components)


def a_cycle(graph: Mapping[str, Iterable[str]], component: list[str]) -> list[str]:
    """One concrete cycle through the first module of a strongly connected component (BFS: shortest)."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph.get(node, ())):
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{component} is not a cycle")  # pragma: no cover - Tarjan guarantees one


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One printable cycle per strongly connected component with more than one module."""
    return [a_cycle(graph, comp) for comp in strongly_connected(graph) if len(comp) > 1]


def _within(module: str, *packages: str) -> bool:
    return any(module == f"{PACKAGE}.{p}" or module.startswith(f"{PACKAGE}.{p}.") for p in packages)


def layer_violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that point up the layers (one line each: importer -> imported: rule)."""
    upper = ("generate", "bench", "train", "export", "inference", "assist", "commands", "cli", "demo")
    out: list[str] = []
    for src in sorted(graph):
        for dst in sorted(graph[src]):
            if _within(src, "witness", "common") and _within(dst, *upper):
                out.append(f"{src} -> {dst}: the Witness model and common utilities import no upper layer")
            if _within(src, "common") and not _within(dst, "common"):
                out.append(f"{src} -> {dst}: common/ imports nothing else from {PACKAGE}")
            if _within(src, "train") and _within(dst, "witness"):
                out.append(f"{src} -> {dst}: train/ does not depend on the Witness model")
            if (
                _within(dst, "commands")
                and not _within(src, "commands")
                and src not in (f"{PACKAGE}.cli", f"{PACKAGE}.__main__")
            ):
                out.append(f"{src} -> {dst}: commands/ is imported only by cli.py and __main__.py")
    return out


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 100 and any(graph.values())  # the scan found the package and its imports
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_imports_point_down_the_layers() -> None:
    bad = layer_violations(import_graph())
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.sub import leaf\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "leaf.py").write_text("def f():\n    from .. import top\n")
    (pkg / "top.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.sub.leaf\nfrom pkg import sub\n"
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph == {
        "pkg": {"pkg.sub.leaf"},
        "pkg.sub": set(),
        "pkg.sub.leaf": {"pkg.top"},
        "pkg.top": {"pkg.sub.leaf", "pkg.sub"},
    }
    assert cycles(graph) == [["pkg.sub.leaf", "pkg.top", "pkg.sub.leaf"]]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c", "a"]]),
        (
            {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c", "e"}, "e": set()},
            [["a", "b", "a"], ["c", "d", "c"]],
        ),
        ({"a": {"b", "c"}, "b": {"d"}, "c": {"a"}, "d": {"b"}}, [["a", "c", "a"], ["b", "d", "b"]]),
    ],
)
def test_cycle_detection(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(graph) == expected


def test_layer_rules_catch_upward_imports() -> None:
    graph = {
        "witness_evals.witness.policy": {"witness_evals.generate.dataset", "witness_evals.witness.cli"},
        "witness_evals.common.jsonio": {"witness_evals.witness.dsse"},
        "witness_evals.train.data": {"witness_evals.common.jsonio", "witness_evals.witness.versions"},
        "witness_evals.bench.run": {"witness_evals.commands.bench"},
        "witness_evals.cli": {"witness_evals.commands.bench"},
    }
    assert [line.split(":")[0] for line in layer_violations(graph)] == [
        "witness_evals.bench.run -> witness_evals.commands.bench",
        "witness_evals.common.jsonio -> witness_evals.witness.dsse",
        "witness_evals.train.data -> witness_evals.witness.versions",
        "witness_evals.witness.policy -> witness_evals.generate.dataset",
    ]
