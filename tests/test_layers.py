"""The layers import downwards only, and no module imports itself back (docs/architecture.md).

Read from the source with `ast`: every import counts, at module level, inside functions (deferred imports)
and under `if TYPE_CHECKING:` alike.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may import of ours: only the packages below it.
ALLOWED = {
    "core": set(),
    "summarizer": {"core"},
    "bot": {"core", "summarizer"},
    "handlers": {"core", "summarizer", "bot"},
    "api": {"core", "summarizer", "bot", "handlers"},
}


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name → file, for every module of `packages` under `root`."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `module` imports, each resolved to the most specific known name."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                package = module.split(".")[: None if is_package else -1]
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    ours = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            ours.add(name)
    return ours


def graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    found = modules(root, packages)
    return {module: imports(module, path, set(found)) for module, path in found.items()}


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """`a -> b` for each import of a package the importer's layer may not use."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in edges.items()
        for target in targets
        if (top := target.split(".")[0]) != module.split(".")[0] and top not in ALLOWED[module.split(".")[0]]
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), plus modules importing themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_every_layer_imports_only_the_layers_below_it() -> None:
    edges = graph(ROOT, ALLOWED)
    assert len(edges) > 50 and any(edges.values())  # the source was read
    assert upward_imports(edges) == []


def test_no_module_imports_itself_back() -> None:
    assert cycles(graph(ROOT, ALLOWED)) == []


# --- the checks see what they should -----------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    files = {
        "core/__init__.py": "",
        "core/config.py": "X = 1\n",
        "summarizer/__init__.py": "",
        "summarizer/engine.py": "from core import config\nfrom . import jobs\n",
        "summarizer/jobs.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from api.main import app\n",
        "bot/__init__.py": "",
        "handlers/__init__.py": "",
        "api/__init__.py": "",
        "api/main.py": "def lazy():\n    import summarizer.engine\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_an_upward_import_counts_even_when_only_for_types(tree: Path) -> None:
    edges = graph(tree, ALLOWED)
    # Relative imports resolved; `from core import config` runs core/__init__.py too.
    assert edges["summarizer.engine"] == {"core", "core.config", "summarizer", "summarizer.jobs"}
    assert edges["api.main"] == {"summarizer.engine"}  # deferred imports count
    assert upward_imports(edges) == ["summarizer.jobs -> api.main"]


def test_a_cycle_through_a_deferred_import_is_found(tree: Path) -> None:
    assert cycles(graph(tree, ALLOWED)) == [["api.main", "summarizer.engine", "summarizer.jobs"]]
    (tree / "summarizer" / "jobs.py").write_text("X = 1\n")
    assert cycles(graph(tree, ALLOWED)) == []
