"""The files one grading run sees: learner code, the exercise's tests and the harness.

Layout on the host (``<workspaces>/<job>/``)::

    code/         the judge's, read-only: the judge's harness (``contract.JUDGE_HARNESS``),
                  test_*.py, and source/submission.py (read by tests, never imported there)
    learner/      the learner's process's, read-only: submission.py, ``contract.LEARNER_HARNESS``
    shared/       writable by both: the tests' tmp_path folders
    scratch/      writable by the learner's process: its COURSE_ARTIFACT_DIR (never read back)
    artifacts/    writable by the judge: plots and text the tests publish
    report/       writable by the judge: pytest's JUnit XML
    inputs/       read-only, playground runs only: the learner's own text (``sandbox.inputs``)

Only these folders are mounted, each in the sandbox that needs it; the exercise folder (with
``solution.py``) is not.
"""
from __future__ import annotations

import ast
import functools
import threading
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from harness.contract import HIDDEN_TEST_FILE, JUDGE_HARNESS, LEARNER_HARNESS, PUBLIC_TEST_FILE
from sandbox.inputs import write_inputs
from courseware.spec import ExerciseSpec

HARNESS_DIR = Path(__file__).resolve().parents[1] / "harness"
"""The code that runs inside the sandbox (``harness/``), copied into or mounted in every run."""
"""The harness files the judge's pytest imports from its folder (the warm zygote has them on its path)."""
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
    def learner(self) -> Path:
        return self.root / "learner"

    @property
    def shared(self) -> Path:
        return self.root / "shared"

    @property
    def scratch(self) -> Path:
        return self.root / "scratch"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def report(self) -> Path:
        return self.root / "report"

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    def remove(self) -> None:
        """Delete the folder and everything the run wrote."""
        shutil.rmtree(self.root, ignore_errors=True)


def selected_tests(spec: ExerciseSpec, mode: Mode, playground: bool = False) -> dict[str, tuple[Path, str]]:
    """The test files one run executes: name in the workspace → (trusted source, visibility).

    ``run``: the public tests; ``submit``: public and hidden; a playground run (``run`` with
    the learner's own files): the playground file alone, so no hidden test ever runs there.
    """
    if mode not in ("run", "submit"):
        raise ValueError(f"mode must be 'run' or 'submit', not {mode!r}")
    if playground:
        if mode != "run" or spec.playground is None:
            raise ValueError(f"exercise {spec.id!r} has no playground for mode {mode!r}")
        return {spec.playground.name: (spec.playground, "public")}
    chosen = {PUBLIC_TEST_FILE: (spec.public_tests, "public")}
    if mode == "submit":
        chosen[HIDDEN_TEST_FILE] = (spec.hidden_tests, "hidden")
    return chosen


def build_workspace(spec: ExerciseSpec, code: str, mode: Mode, base: Path,
                    inputs: dict[str, str] | None = None) -> Workspace:
    """Create a fresh private folder for one run of ``code`` against ``spec``'s tests.

    With ``inputs`` (a playground run) the learner's files go to ``inputs/`` and only the
    playground test file is copied.
    """
    tests = selected_tests(spec, mode, playground=inputs is not None)
    root = base / f"job-{uuid.uuid4().hex}"
    ws = Workspace(root, {name: visibility for name, (_, visibility) in tests.items()})
    for folder in (ws.code, ws.code / "source", ws.learner, ws.shared, ws.scratch, ws.artifacts, ws.report):
        folder.mkdir(parents=True)
    (ws.learner / "submission.py").write_text(code, encoding="utf-8")
    (ws.code / "source" / "submission.py").write_text(code, encoding="utf-8")
    for name in LEARNER_HARNESS:
        shutil.copyfile(HARNESS_DIR / name, ws.learner / name)
    for name in JUDGE_HARNESS:
        shutil.copyfile(HARNESS_DIR / name, ws.code / name)
    for support in spec.support_files:
        shutil.copyfile(support, ws.code / support.name)
    for name, (source, _) in tests.items():
        shutil.copyfile(source, ws.code / name)
    if inputs is not None:
        write_inputs(ws.inputs, inputs)
    return ws


_PARSE_LOCK = threading.Lock()


def expected_tests(test_file: Path) -> set[str]:
    """Test function names a complete report must mention (from the trusted copy, by AST).

    Parametrised tests appear in the report as ``name[case]``; they are matched by name.
    """
    info = test_file.stat()
    return set(_test_names(str(test_file), info.st_mtime_ns, info.st_size))


@functools.lru_cache(maxsize=512)
def _test_names(path: str, _mtime_ns: int, _size: int) -> frozenset[str]:
    # One parse at a time: CPython 3.11's ast module keeps global state, and two grader threads
    # parsing at once failed a burst benchmark run with "AST constructor recursion depth mismatch".
    with _PARSE_LOCK:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.update(f"{node.name}::{n.name}" for n in node.body
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test"))
    return frozenset(names)
