"""What a learner may take home to run an exercise's public tests on their own machine.

The same files a *Run* workspace holds (``sandbox.workspace.build_workspace`` with
``mode="run"``), less the learner's code: the public test file, the exercise's support
modules and the harness the tests import. Never the hidden tests, never the solution:
both live elsewhere in the exercise folder and are not named here.
"""
from __future__ import annotations

from pathlib import Path

from harness.contract import CODE_FILE, JUDGE_HARNESS, PUBLIC_TEST_FILE
from sandbox.workspace import HARNESS_DIR
from courseware.spec import ExerciseSpec

HARNESS_FILES = JUDGE_HARNESS
"""As ``build_workspace`` copies them for the judge; ``metric_gate`` only acts when a grader loads
it (``-p``), and ``bridge`` only under the grader (``run_isolated`` uses it locally too)."""


def public_files(spec: ExerciseSpec) -> dict[str, str]:
    """File name in the workspace → text, for every file a local public run needs but the learner's code."""
    sources: dict[str, Path] = {name: HARNESS_DIR / name for name in HARNESS_FILES}
    sources.update({support.name: support for support in spec.support_files})
    sources[PUBLIC_TEST_FILE] = spec.public_tests
    return {name: path.read_text(encoding="utf-8") for name, path in sources.items()}
