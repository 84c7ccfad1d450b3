"""The files one grading run sees: learner code, the exercise's tests and the harness.

Layout on the host (``<workspaces>/<job>/``)::

    code/         read-only inside the sandbox: submission.py, conftest.py, course_harness.py, test_*.py
    artifacts/    writable: plots and text the tests publish
    report/       writable: pytest's JUnit XML

Only these three folders are mounted; the exercise folder (with ``solution.py``) is not.
"""
from __future__ import annotations

import ast
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from courseware.spec import ExerciseSpec

HARNESS_DIR = Path(__file__).parent / "harness"
Mode = str  # "run" (public tests) or "submit" (public + hidden)


@dataclass(frozen=True)
class Workspace:
    """Paths of one job's private folder."""

    root: Path
    test_files: dict[str, str]
    """Test file name in the workspace → visibility ("public" / "hidden")."""

    @property
    def code(self) -> Path:
        return self.root / "code"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def report(self) -> Path:
        return self.root / "report"

    def remove(self) -> None:
        """Delete the folder and everything the run wrote."""
        shutil.rmtree(self.root, ignore_errors=True)


def build_workspace(spec: ExerciseSpec, code: str, mode: Mode, base: Path) -> Workspace:
    """Create a fresh private folder for one run of ``code`` against ``spec``'s tests."""
    if mode not in ("run", "submit"):
        raise ValueError(f"mode must be 'run' or 'submit', not {mode!r}")
    root = base / f"job-{uuid.uuid4().hex}"
    ws = Workspace(root, {"test_public.py": "public"} | ({"test_hidden.py": "hidden"} if mode == "submit" else {}))
    for folder in (ws.code, ws.artifacts, ws.report):
        folder.mkdir(parents=True)
    (ws.code / "submission.py").write_text(code, encoding="utf-8")
    for name in ("conftest.py", "course_harness.py"):
        shutil.copyfile(HARNESS_DIR / name, ws.code / name)
    sources = {"test_public.py": spec.public_tests, "test_hidden.py": spec.hidden_tests}
    for support in spec.support_files:
        shutil.copyfile(support, ws.code / support.name)
    for name in ws.test_files:
        shutil.copyfile(sources[name], ws.code / name)
    return ws


def expected_tests(test_file: Path) -> set[str]:
    """Test function names a complete report must mention (from the trusted copy, by AST).

    Parametrised tests appear in the report as ``name[case]``; they are matched by name.
    """
    tree = ast.parse(test_file.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.update(f"{node.name}::{n.name}" for n in node.body
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test"))
    return names
