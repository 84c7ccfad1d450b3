"""Metrics tests publish (``artifacts().metric``): harness → gate → engine → stored rows, and what is refused.

The learner's code runs in the same process as the tests. The ``metric_gate`` plugin keeps a
call only when it comes from the running test's own code and files it under that test; the
grader keeps the metrics of public tests only (last write of a name wins, at most 16 names).
So on Submit, when the hidden tests call the learner's code again after the public test
published, nothing the learner's code does there reaches the leaderboard.
"""
from __future__ import annotations

import importlib.util
import math
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import select

from sandbox.metrics import MAX_METRICS, keep_latest, metrics_from_junit, metrics_from_stream
from sandbox.result import Metric
from sandbox.warm import authentic
from sandbox.workspace import HARNESS_DIR
from db import submissions
from db.models import SubmissionMetric
from portal.context import build_context

from conftest import make_settings

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

VISIBILITY = {"test_public.py": "public", "test_hidden.py": "hidden"}


def as_dict(metrics) -> dict[str, float]:
    return {m.name: m.value for m in metrics}


# --- the grader's rules, on what the engines hand it ---------------------------------------

def test_the_last_write_of_a_name_wins():
    published = [("test_public.py", "val_loss", 0.01), ("test_public.py", "steps", 10),
                 ("test_public.py", "val_loss", 1.93)]
    assert keep_latest(published, VISIBILITY) == (Metric("steps", 10.0), Metric("val_loss", 1.93))


def test_metrics_of_hidden_tests_and_unknown_files_are_dropped():
    published = [("test_public.py", "val_loss", 1.93), ("test_hidden.py", "val_loss", 0.01),
                 ("test_hidden.py", "hidden_only", 1.0), ("test_other.py", "val_loss", 0.02),
                 ("submission.py", "val_loss", 0.03)]
    assert keep_latest(published, VISIBILITY) == (Metric("val_loss", 1.93),)


@pytest.mark.parametrize("name, value", [
    ("val_loss", math.nan), ("val_loss", math.inf), ("val_loss", -math.inf), ("val_loss", "1.5"),
    ("val_loss", True), ("val_loss", None), ("Val_Loss", 1), ("val-loss", 1), ("loss2", 1), ("a" * 65, 1),
    ("", 1), (None, 1), (["val_loss"], 1),
])
def test_malformed_metrics_are_dropped_and_do_not_overwrite_a_good_value(name, value):
    published = [("test_public.py", "val_loss", 1.5), ("test_public.py", name, value)]
    assert keep_latest(published, VISIBILITY) == (Metric("val_loss", 1.5),)


def test_a_flood_of_names_keeps_the_most_recently_written():
    flood = [("test_public.py", "junk_" + "".join(chr(97 + int(d)) for d in str(i)), i) for i in range(100)]
    published = flood + [("test_public.py", "val_loss", 1.9), ("test_public.py", "train_seconds", 75.0)]
    kept = as_dict(keep_latest(published, VISIBILITY))
    assert len(kept) == MAX_METRICS
    assert kept["val_loss"] == 1.9 and kept["train_seconds"] == 75.0
    assert "junk_a" not in kept and "junk_jj" in kept  # the oldest went, the latest stayed


def test_the_stream_yields_metric_events_of_public_tests_only():
    records = [
        {"event": "test", "nodeid": "test_public.py::test_a", "name": "val_loss", "value": 0.5},
        {"event": "metric", "nodeid": "test_public.py::test_a", "name": "val_loss", "value": 1.9},
        {"event": "metric", "nodeid": "test_hidden.py::test_b", "name": "val_loss", "value": 0.01},
        {"event": "metric", "nodeid": None, "name": "steps", "value": 3},
        {"event": "metric", "name": "steps", "value": 3},
        ["not", "a", "record"],
    ]
    assert metrics_from_stream(records, VISIBILITY) == (Metric("val_loss", 1.9),)


def test_stream_lines_without_the_jobs_token_count_as_garbage():
    token = "a" * 32
    genuine = {"event": "finish", "token": token}
    records = [genuine, {"event": "metric", "nodeid": "test_public.py::t", "name": "x", "value": 1.0},
               {"event": "finish", "token": "b" * 32}, {"event": "finish", "token": None}, [1, 2], "text"]
    assert authentic(records, token) == [genuine] + [{"event": "garbage"}] * 5


def test_an_unreadable_junit_report_yields_no_metrics(tmp_path):
    assert metrics_from_junit(tmp_path / "missing.xml", VISIBILITY) == ()
    (tmp_path / "damaged.xml").write_text("<testsuites><testcase classname='test_public'>")
    assert metrics_from_junit(tmp_path / "damaged.xml", VISIBILITY) == ()
    good = tmp_path / "good.xml"
    good.write_text('<testsuites><testsuite><testcase classname="test_public" name="t"><properties>'
                    '<property name="metric:val_loss" value="1.75"/><property name="other" value="3"/>'
                    '<property name="metric:steps" value="fast"/></properties></testcase></testsuite></testsuites>')
    assert metrics_from_junit(good, VISIBILITY) == (Metric("val_loss", 1.75),)
    (tmp_path / "linked.xml").symlink_to(good)
    assert metrics_from_junit(tmp_path / "linked.xml", VISIBILITY) == ()


# --- the harness and the gate, in a real pytest run (no sandbox) ---------------------------

@pytest.fixture
def harness(tmp_path, monkeypatch):
    """The course_harness module the sandbox gets, loaded from its file."""
    monkeypatch.setenv("COURSE_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    monkeypatch.syspath_prepend(str(HARNESS_DIR))  # its ``import contract``, as inside the sandbox
    spec = importlib.util.spec_from_file_location("course_harness_under_test", HARNESS_DIR / "course_harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_harness_refuses_bad_names_skips_values_that_are_not_finite_and_writes_no_file(harness, tmp_path):
    received = []
    harness.metric_sink = lambda name, value: received.append((name, value))
    board = harness.artifacts()
    for name in ("ValLoss", "val loss", "x" * 65, "", "loss_2", None):
        with pytest.raises(ValueError, match="lowercase letters and underscores"):
            board.metric(name, 1.0)
    board.metric("val_loss", math.nan)
    board.metric("val_loss", math.inf)
    board.metric("val_loss", 1.25)
    board.metric("steps", 300)
    assert received == [("val_loss", 1.25), ("steps", 300.0)]
    assert all(type(value) is float for _, value in received)
    assert not (tmp_path / "artifacts").exists()  # nothing in the folder the learner's code can write


def test_without_the_grader_a_metric_goes_nowhere(harness, tmp_path):
    assert harness.metric_sink is None
    harness.artifacts().metric("val_loss", 1.25)
    assert not (tmp_path / "artifacts").exists()


def gate_run(folder, files: dict[str, str]) -> tuple[str, tuple[Metric, ...]]:
    """Run pytest with ``-p metric_gate`` on ``files`` (the harness beside them), as the cold
    engine does but unconfined; the summary line and the public tests' metrics in its report."""
    folder.mkdir()
    for name in ("course_harness.py", "metric_gate.py", "contract.py"):
        shutil.copyfile(HARNESS_DIR / name, folder / name)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    tests = sorted(name for name in files if name.startswith("test_"))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "COURSE_ARTIFACT_DIR": str(folder / "artifacts")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "metric_gate", "-o", "addopts=",
         "--junitxml", str(folder / "junit.xml"), "--rootdir", str(folder), *tests],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    return proc.stdout.strip().splitlines()[-1], metrics_from_junit(folder / "junit.xml", VISIBILITY)


def test_the_gate_keeps_what_the_tests_own_code_publishes(tmp_path):
    summary, metrics = gate_run(tmp_path / "run", {
        "shared.py": """\
            from course_harness import artifacts

            def publish_from_elsewhere():
                artifacts().metric("from_support_file", 1.0)
            """,
        "test_public.py": """\
            import pytest
            from course_harness import artifacts
            from shared import publish_from_elsewhere

            def publish(name, value):
                artifacts().metric(name, value)

            @pytest.fixture
            def published_by_fixture():
                artifacts().metric("from_fixture", 2.0)

            def test_publishes(published_by_fixture):
                artifacts().metric("from_test", 1.0)
                artifacts().metric("from_test", 3.0)
                publish("from_helper", 4.0)
                [artifacts().metric(name, 5.0) for name in ("from_comprehension",)]
                publish_from_elsewhere()

            class TestGroup:
                def test_in_a_class(self):
                    artifacts().metric("from_method", 6.0)
            """,
    })
    assert summary.startswith("2 passed"), summary
    assert as_dict(metrics) == {"from_test": 3.0, "from_helper": 4.0, "from_fixture": 2.0,
                                "from_comprehension": 5.0, "from_method": 6.0}


LEARNER_TRICKS = """\
    import sys
    import threading
    from course_harness import artifacts

    artifacts().metric("at_import", 0.01)  # imported while the tests are collected

    def train():
        artifacts().metric("val_loss", 0.01)
        artifacts().metric("planted", 7.0)
        thread = threading.Thread(target=lambda: artifacts().metric("from_thread", 0.01))
        thread.start()
        thread.join()
        test_module = sys.modules["test_public"]
        # Source compiled under the test file's name and run with the test module's globals.
        exec(compile("artifacts().metric('forged', 0.01)", test_module.__file__, "exec"), vars(test_module))
        return 1.9
    """


def test_the_gate_ignores_the_learners_code_at_import_in_threads_and_through_exec(tmp_path):
    summary, metrics = gate_run(tmp_path / "run", {
        "submission.py": LEARNER_TRICKS,
        "test_public.py": """\
            from course_harness import artifacts
            from submission import train

            def test_trains():
                val = train()
                artifacts().metric("val_loss", val)
            """,
    })
    assert summary.startswith("1 passed"), summary
    assert as_dict(metrics) == {"val_loss": 1.9}


def test_a_value_planted_before_the_test_fails_is_not_kept(tmp_path):
    summary, metrics = gate_run(tmp_path / "run", {
        "submission.py": textwrap.dedent(LEARNER_TRICKS) + "\n\ndef broken():\n    train()\n    raise RuntimeError('diverged')\n",
        "test_public.py": """\
            from course_harness import artifacts
            from submission import broken

            def test_trains():
                val = broken()
                artifacts().metric("val_loss", val)
            """,
    })
    assert summary.startswith("1 failed"), summary
    assert metrics == ()


def test_the_gate_files_a_hidden_tests_metrics_under_it_and_the_grader_drops_them(tmp_path):
    summary, metrics = gate_run(tmp_path / "run", {
        "test_public.py": """\
            from course_harness import artifacts

            def test_public_measure():
                artifacts().metric("val_loss", 1.9)
            """,
        "test_hidden.py": """\
            from course_harness import artifacts

            def test_hidden_measure():
                artifacts().metric("val_loss", 0.5)
                artifacts().metric("hidden_only", 1.0)
            """,
    })
    assert summary.startswith("2 passed"), summary
    assert as_dict(metrics) == {"val_loss": 1.9}
    report = (tmp_path / "run" / "junit.xml").read_text()
    assert 'name="metric:hidden_only"' in report  # filed under the hidden test, then refused here


def test_one_test_files_at_most_16_names_the_latest(tmp_path):
    summary, metrics = gate_run(tmp_path / "run", {
        "test_public.py": """\
            from course_harness import artifacts

            def test_floods():
                for i in range(40):
                    artifacts().metric("n_" + "".join(chr(97 + int(d)) for d in str(i)), float(i))
                artifacts().metric("val_loss", 1.9)
            """,
    })
    assert summary.startswith("1 passed"), summary
    kept = as_dict(metrics)
    assert len(kept) == MAX_METRICS and kept["val_loss"] == 1.9 and "n_a" not in kept and "n_dj" in kept
    assert (tmp_path / "run" / "junit.xml").read_text().count('name="metric:') == MAX_METRICS


# --- storing ---------------------------------------------------------------------------------

def claimed(session, user_id) -> int:
    sub = submissions.create_submission(session, user_id=user_id, exercise_id="double", mode="submit", code="x")
    session.commit()
    submissions.claim_submission(session, sub.id)
    return sub.id


def stored(session, submission_id) -> dict[str, float]:
    return {name: value for name, value in session.execute(
        select(SubmissionMetric.name, SubmissionMetric.value).where(SubmissionMetric.submission_id == submission_id))}


def test_store_result_writes_one_row_per_metric_name(db_session, learner_id):
    sub_id = claimed(db_session, learner_id)
    assert submissions.store_result(
        db_session, sub_id, status="passed", score=10, tests=[], artifacts=[], points_possible=10,
        metrics=[{"name": "val_loss", "value": 2.0}, {"name": "train_seconds", "value": 70.5},
                 {"name": "val_loss", "value": 1.9}])
    assert stored(db_session, sub_id) == {"val_loss": 1.9, "train_seconds": 70.5}


def test_a_bad_metric_rolls_back_the_whole_result(db_session, learner_id):
    sub_id = claimed(db_session, learner_id)
    with pytest.raises(ValueError):
        submissions.store_result(db_session, sub_id, status="passed", score=10, tests=[], artifacts=[],
                                 points_possible=10, metrics=[{"name": "val_loss", "value": "not a number"}])
    assert submissions.get_submission(db_session, sub_id).status == "running"
    assert stored(db_session, sub_id) == {}


# --- real grading through both engines -------------------------------------------------------

# The public test publishes after the learner's function returned, through a helper of its own;
# the hidden test calls the learner's function again (on Submit, after the public test
# published) and publishes a metric of its own, which must not be stored either.
PUBLISHING_TEST = textwrap.dedent("""\
    from course_harness import get_function

    def measure():
        return 3.5

    def test_doubles_and_measures(artifacts):
        double = get_function("double", "double(x)")
        assert double(2.0) == 4.0
        artifacts.metric("score", 2.5)
        artifacts.metric("seconds", 1.25)
        artifacts.metric("score", measure())
    """)
HIDDEN_TEST = textwrap.dedent("""\
    from course_harness import get_function

    def test_doubles_again(artifacts):
        assert get_function("double", "double(x)")(3.0) == 6.0
        artifacts.metric("hidden_score", 9.0)
        artifacts.metric("seconds", 99.0)
    """)
HONEST_CODE = "def double(x):\n    return x * 2\n"
# Plants at import time, in the public test before its publication, and on Submit in the
# hidden test after it: through the harness, through the sink, and by writing the old file.
PLANTING_CODE = textwrap.dedent("""\
    import os

    def plant():
        try:  # the harness lives in the judge's process: there is none to import here
            import course_harness
            course_harness.artifacts().metric("score", 0.01)
            course_harness.artifacts().metric("planted", 7.0)
            course_harness.metric_sink("score", 0.02)
        except Exception:
            pass
        with open(os.path.join(os.environ["COURSE_ARTIFACT_DIR"], "metrics.jsonl"), "a") as f:
            f.write('{"name": "score", "value": 0.03}\\n')

    plant()

    def double(x):
        plant()
        return x * 2
    """)
PLANT_THEN_FAIL_CODE = PLANTING_CODE.replace("    return x * 2\n", "    raise RuntimeError('diverged')\n")
assert PLANT_THEN_FAIL_CODE != PLANTING_CODE
CRASHING_CODE = textwrap.dedent("""\
    import os

    def double(x):
        os._exit(0)
    """)


def exercise_with_metrics(content_tree):
    tests = content_tree / "exercises" / "double" / "tests"
    (tests / "test_public.py").write_text(PUBLISHING_TEST)
    (tests / "test_hidden.py").write_text(HIDDEN_TEST)


@pytest.fixture(params=["warm", "cold"])
def measuring_ctx(request, tmp_path, content_tree):
    """The platform with each grading engine, on an exercise whose tests publish metrics."""
    exercise_with_metrics(content_tree)
    context = build_context(make_settings(tmp_path / "data", content_tree, CHECKER_MODE=request.param,
                                          CHECKER_WORKERS="1"))
    assert context.grading_engine.describe().startswith(f"engine: {request.param}")
    yield context
    context.close()


@pytest.fixture
def warm_ctx(tmp_path, content_tree):
    """The platform with the warm engine only (its result pipe and tamper checks)."""
    exercise_with_metrics(content_tree)
    context = build_context(make_settings(tmp_path / "data", content_tree, CHECKER_MODE="warm", CHECKER_WORKERS="1"))
    assert context.grading_engine.describe().startswith("engine: warm")
    yield context
    context.close()


def grade(ctx, code: str, mode: str = "submit") -> tuple[str, dict[str, float], str]:
    with ctx.sessions() as session:
        user_id = _user(session)
    receipt = ctx.grading.submit(user_id=user_id, exercise_id="double", code=code, mode=mode)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        view = ctx.grading.verdict(user_id=user_id, submission_id=receipt.submission_id)
        if view.final:
            with ctx.sessions() as session:
                sub = submissions.get_submission(session, receipt.submission_id)
                return view.status, stored(session, receipt.submission_id), sub.error_reason or ""
        time.sleep(0.05)
    raise AssertionError("no verdict in 90 s")


def _user(session) -> int:
    from db.users import create_user

    user = create_user(session, f"ada{time.monotonic_ns()}", "password-123")
    session.commit()
    return user.id


@pytest.mark.slow
def test_the_public_tests_metrics_are_stored_and_the_hidden_tests_are_not(measuring_ctx):
    status, metrics, _ = grade(measuring_ctx, HONEST_CODE)
    assert status == "passed"
    assert metrics == {"score": 3.5, "seconds": 1.25}  # no hidden_score, seconds not 99


@pytest.mark.slow
def test_what_the_learners_code_plants_on_submit_changes_nothing(measuring_ctx):
    status, metrics, _ = grade(measuring_ctx, PLANTING_CODE)
    assert status == "passed"
    # Planted at import, in the public test before it published, and in the hidden test after.
    assert metrics == {"score": 3.5, "seconds": 1.25}


@pytest.mark.slow
def test_a_value_planted_in_a_run_whose_test_failed_before_publishing_is_not_stored(measuring_ctx):
    status, metrics, _ = grade(measuring_ctx, PLANT_THEN_FAIL_CODE)
    assert status == "failed"  # judged: a leaderboard would rank what it stored
    assert metrics == {}


@pytest.mark.slow
def test_a_run_that_is_not_trusted_stores_no_metrics(measuring_ctx):
    status, metrics, _ = grade(measuring_ctx, CRASHING_CODE, mode="run")
    assert status == "error"
    assert metrics == {}


@pytest.mark.slow
def test_a_metric_line_written_to_every_pipe_the_learners_code_holds_changes_nothing(warm_ctx):
    status, metrics, reason = grade(warm_ctx, textwrap.dedent("""\
        import json
        import os
        import stat

        def double(x):
            line = json.dumps({"event": "metric", "nodeid": "test_public.py::test_doubles_and_measures",
                               "name": "score", "value": 0.01, "token": "0" * 32}) + "\\n"
            for fd in map(int, os.listdir("/proc/self/fd")):
                try:
                    if stat.S_ISFIFO(os.fstat(fd).st_mode):
                        os.write(fd, line.encode())
                except OSError:
                    pass
            return x * 2
        """))
    # The result pipe is the judge's alone: the learner's process has none to write to.
    assert status == "passed", reason
    assert metrics == {"score": 3.5, "seconds": 1.25}


@pytest.mark.slow
def test_rebinding_the_tests_own_helper_changes_nothing(warm_ctx):
    status, metrics, reason = grade(warm_ctx, textwrap.dedent("""\
        import sys

        def double(x):
            for name in ("test_public", "conftest", "course_harness"):
                module = sys.modules.get(name)  # the tests run in the judge's process, not here
                if module is not None:
                    module.measure = lambda: 0.01
            return x * 2
        """))
    assert status == "passed", reason
    assert metrics == {"score": 3.5, "seconds": 1.25}
