"""Which of the project's top-level packages import which: the layering, as the code has it.

    python -m scripts.package_graph            # this checkout
    python -m scripts.package_graph PATH       # another checkout (say, an older commit's worktree)

Prints one line per package: ``portal -> config, courseware, db, grading, sandbox, verdicts``.
Imports inside a function count too: a lazy import is still a dependency. ``harness/`` files
import each other by bare name inside the sandbox (``import bridge``); those stay inside it.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

SKIPPED = {"tests", "bench", "data", "test-artifacts", "node_modules"}
"""Folders that are not part of the running platform (they may import anything)."""


def top_level_units(root: Path) -> dict[str, list[Path]]:
    """Package or module name → its Python files, for every top-level unit of the project."""
    units: dict[str, list[Path]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIPPED:
            continue
        if entry.is_dir() and any(entry.glob("*.py")):
            units[entry.name] = sorted(p for p in entry.rglob("*.py") if "node_modules" not in p.parts)
        elif entry.suffix == ".py":
            units[entry.stem] = [entry]
    return units


def imported_names(path: Path) -> set[str]:
    """Top-level names of every absolute import in ``path``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_graph(root: Path) -> dict[str, set[str]]:
    """Unit → the other units of the project it imports."""
    units = top_level_units(root)
    graph: dict[str, set[str]] = {}
    for unit, files in units.items():
        own = {p.stem for p in files} if unit == "harness" else set()
        found: set[str] = set()
        for path in files:
            found |= {n for n in imported_names(path) if n in units and n != unit and n not in own}
        graph[unit] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle between units, each once (as the path that closes it)."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                loop = path[path.index(nxt):] + [nxt]
                if frozenset(loop) not in seen:
                    seen.add(frozenset(loop))
                    found.append(loop)
            elif len(path) < len(graph):
                walk(nxt, path + [nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


def main(argv: list[str]) -> int:
    """Print the graph of the checkout at ``argv[0]`` (default: this one) and its cycles."""
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1]
    graph = package_graph(root)
    for unit in sorted(graph):
        print(f"{unit} -> {', '.join(sorted(graph[unit])) or '(nothing)'}")
    loops = cycles(graph)
    print(f"cycles: {len(loops)}" + "".join(f"\n  {' -> '.join(loop)}" for loop in loops))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
