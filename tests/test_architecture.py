"""The dependency graph between the project's top-level packages, as the README's layout table
describes it (``python -m scripts.package_graph`` prints it)."""
from __future__ import annotations

import pytest

from config import PROJECT_ROOT
from scripts.package_graph import cycles, package_graph

# What each package may import of the project. A new edge is a design decision: add it here,
# with the README, or move the code.
ALLOWED = {
    "config": set(),
    "harness": set(),           # runs inside the sandbox: the standard library, torch, pytest only
    "verdicts": set(),
    "courseware": {"config", "harness"},
    "db": {"config"},
    "sandbox": {"config", "courseware", "harness"},
    "grading": {"config", "courseware", "db", "sandbox", "verdicts"},
    "portal": {"config", "courseware", "db", "grading", "sandbox", "verdicts"},
    "ui": {"config", "courseware", "db", "grading", "portal", "sandbox", "verdicts"},
    "app_pages": {"portal", "ui"},
    "app": {"portal", "ui"},
    "serve": {"portal", "ui"},
    "learner_cli": {"grading", "sandbox", "verdicts"},
    "scripts": {"config", "db"},
}


@pytest.fixture(scope="module")
def graph():
    return package_graph(PROJECT_ROOT)


def test_no_import_cycles_between_packages(graph):
    assert cycles(graph) == []


def test_every_package_imports_only_what_the_layering_allows(graph):
    unknown = set(graph) - set(ALLOWED)
    assert not unknown, f"new top-level package(s) {sorted(unknown)}: give them a place in ALLOWED and the README"
    extra = {unit: sorted(graph[unit] - ALLOWED[unit]) for unit in graph if graph[unit] - ALLOWED[unit]}
    assert extra == {}


def test_the_sandbox_knows_nothing_of_the_database_or_queues(graph):
    assert not graph["sandbox"] & {"db", "grading", "portal", "ui"}


def test_the_graph_finds_a_cycle_when_there_is_one(tmp_path):
    for name, imports in {"alpha": "import beta\n", "beta": "from alpha import x\n", "gamma": "import os\n"}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(imports)
    graph = package_graph(tmp_path)
    assert graph == {"alpha": {"beta"}, "beta": {"alpha"}, "gamma": set()}
    assert cycles(graph) == [["alpha", "beta", "alpha"]]


def test_the_readme_layout_table_names_every_package(graph):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## What is where")[1].split("\n## ")[0]
    missing = [unit for unit in graph if f"`{unit}/`" not in table and f"`{unit}.py`" not in table]
    assert missing == []
