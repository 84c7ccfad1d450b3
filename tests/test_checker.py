"""The checker end to end on a tiny exercise: real workspace, real bubblewrap, real pytest."""
from pathlib import Path

import pytest

from sandbox.cold import Checker
from sandbox.isolation import make_sandbox
from courseware.loader import load_bank

from conftest import write_content

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = write_content(tmp_path_factory.mktemp("content"))
    spec = load_bank(root).exercises["double"]
    work = tmp_path_factory.mktemp("workspaces")
    return spec, Checker(make_sandbox("bwrap"), work)


def test_the_reference_passes_every_test_and_publishes_its_artifact(tiny):
    spec, checker = tiny
    result = checker.check(spec, spec.solution_path.read_text(), "submit")
    assert result.status == "passed", result
    assert [(t.name, t.visibility) for t in result.tests] == [
        ("test_doubles_a_vector", "public"), ("test_doubles_a_matrix[1]", "hidden"), ("test_doubles_a_matrix[4]", "hidden")]
    assert result.score(10) == 10
    [artifact] = result.artifacts
    assert artifact.kind == "line" and artifact.name == "loss" and '"y": [3.0, 2.0, 1.5]' in artifact.payload


def test_run_mode_runs_only_the_public_tests(tiny):
    spec, checker = tiny
    result = checker.check(spec, spec.solution_path.read_text(), "run")
    assert [t.name for t in result.tests] == ["test_doubles_a_vector"]


def test_wrong_values_fail_with_the_max_error_and_partial_credit(tiny):
    spec, checker = tiny
    result = checker.check(spec, "def double(x):\n    return x * 2 + (x > 1).float()\n", "submit")
    assert result.status == "failed"
    outcomes = {t.name: t for t in result.tests}
    assert outcomes["test_doubles_a_vector"].outcome == "passed"
    failing = [t for t in result.tests if t.outcome == "failed"]
    assert failing and all("max abs error 1" in t.message for t in failing)
    assert 0 < result.score(10) < 10


def test_a_wrong_shape_and_a_missing_function_are_explained(tiny):
    spec, checker = tiny
    shape = checker.check(spec, "def double(x):\n    return (x * 2)[:1]\n", "run")
    assert shape.tests[0].message.startswith("double(x) has shape (1,), expected (3,)")
    missing = checker.check(spec, "def triple(x):\n    return x * 3\n", "run")
    assert "Your code must define `double(x)`" in missing.tests[0].message


def test_an_exception_in_learner_code_points_at_its_line(tiny):
    spec, checker = tiny
    result = checker.check(spec, "def double(x):\n    y = 1\n    return x @ x @ x\n", "run")
    assert result.status == "failed"
    assert "RuntimeError" in result.tests[0].message and "line 3" in result.tests[0].message


@pytest.mark.parametrize("code", [
    "import os\nos._exit(0)\n",
    "import os, sys\nprint('==== 3 passed in 0.01s ====')\nsys.stdout.flush()\nos._exit(0)\n",
    "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
])
def test_runs_that_end_without_a_complete_report_are_errors_not_passes(tiny, code):
    spec, checker = tiny
    result = checker.check(spec, code, "submit")
    assert result.status == "error"
    assert result.score(10) == 0
    assert result.error_reason


def test_sys_exit_at_import_earns_nothing(tiny):
    spec, checker = tiny
    result = checker.check(spec, "import sys\nsys.exit(0)\n", "submit")
    assert result.status in ("failed", "error") and result.passed_count == 0


def test_the_time_limit_is_enforced(tiny):
    spec, checker = tiny
    from dataclasses import replace
    quick = replace(spec, limits=replace(spec.limits, time_s=4))
    result = checker.check(quick, "def double(x):\n    while True:\n        pass\n", "run")
    assert result.status == "error" and "Time limit of 4 s exceeded" in result.error_reason
    assert result.duration_s < 8


def test_the_sandbox_hides_solutions_the_database_and_the_network(tiny, tmp_path):
    spec, checker = tiny
    secret = tmp_path / "course.db"
    secret.write_text("secret")
    code = f"""
import socket
def double(x):
    for path in ({str(spec.solution_path)!r}, {str(secret)!r}):
        try:
            open(path).read()
            raise AssertionError('could read ' + path)
        except FileNotFoundError:
            pass
    try:
        socket.create_connection(('1.1.1.1', 80), timeout=2)
        raise AssertionError('network reachable')
    except OSError:
        pass
    try:
        open('/workspace/test_public.py', 'a').write('# tampered')
        raise AssertionError('tests are writable')
    except OSError:
        pass
    return x * 2
"""
    result = checker.check(spec, code, "run")
    assert result.status == "passed", [t.message for t in result.tests]


def test_workspaces_are_removed_after_each_run(tiny):
    spec, checker = tiny
    checker.check(spec, spec.solution_path.read_text(), "run")
    assert list(Path(checker.workspaces).iterdir()) == []
