"""Metrics tests publish (``artifacts().metric``): harness → engine → stored rows, and what is refused.

The learner's code runs in the same process as the tests and can write the same file, so the
rules are about order: the last write of a name wins, only finite numbers under well-formed
names count, and a flood keeps the most recent names.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import textwrap
import threading
import time

import pytest
from sqlalchemy import select

from checker.metrics import MAX_METRICS, MAX_METRICS_BYTES, METRICS_FILE, decode_metrics, read_metrics
from checker.result import Metric
from checker.workspace import HARNESS_DIR
from db import submissions
from db.models import SubmissionMetric
from portal.context import build_context

from conftest import make_settings
from db_fixtures import db_engine, db_session, db_sessions, db_url, learner_id  # noqa: F401  (fixtures)


def lines(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_the_last_write_of_a_name_wins():
    text = lines({"name": "val_loss", "value": 0.01}, {"name": "steps", "value": 10},
                 {"name": "val_loss", "value": 1.93})
    assert decode_metrics(text) == (Metric("steps", 10.0), Metric("val_loss", 1.93))


@pytest.mark.parametrize("bad", [
    '{"name": "val_loss", "value": NaN}', '{"name": "val_loss", "value": Infinity}',
    '{"name": "val_loss", "value": -Infinity}', '{"name": "val_loss", "value": "1.5"}',
    '{"name": "val_loss", "value": true}', '{"name": "val_loss", "value": null}', '{"name": "Val_Loss", "value": 1}',
    '{"name": "val-loss", "value": 1}', '{"name": "loss2", "value": 1}', '{"name": "' + "a" * 65 + '", "value": 1}',
    '{"name": "", "value": 1}', '{"value": 1}', '[1, 2]', '{"name": "val_loss", "value": 1',
])
def test_malformed_lines_are_dropped_and_do_not_overwrite_a_good_value(bad):
    assert decode_metrics(lines({"name": "val_loss", "value": 1.5}, bad)) == (Metric("val_loss", 1.5),)


def test_a_flood_of_names_keeps_the_most_recently_written():
    flood = [{"name": "junk_" + "".join(chr(97 + int(d)) for d in str(i)), "value": i} for i in range(100)]
    text = lines(*flood, {"name": "val_loss", "value": 1.9}, {"name": "train_seconds", "value": 75.0})
    kept = dict((m.name, m.value) for m in decode_metrics(text))
    assert len(kept) == MAX_METRICS
    assert kept["val_loss"] == 1.9 and kept["train_seconds"] == 75.0
    assert "junk_a" not in kept and "junk_jj" in kept  # the oldest went, the latest stayed


def test_only_the_tail_of_a_huge_file_is_read(tmp_path):
    padding = lines(*({"name": "early", "value": float(i)} for i in range(MAX_METRICS_BYTES // 20)))
    (tmp_path / METRICS_FILE).write_text(padding + lines({"name": "val_loss", "value": 1.8}))
    assert len(padding) > MAX_METRICS_BYTES
    found = dict((m.name, m.value) for m in read_metrics(tmp_path))
    assert found["val_loss"] == 1.8
    assert found["early"] == float(MAX_METRICS_BYTES // 20 - 1)  # from the tail, not a torn fragment


def test_a_fifo_or_a_symlink_in_place_of_the_file_yields_nothing_without_blocking(tmp_path):
    target = tmp_path / "elsewhere.jsonl"
    target.write_text(lines({"name": "val_loss", "value": 0.1}))
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / METRICS_FILE).symlink_to(target)
    assert read_metrics(tmp_path / "linked") == ()
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / METRICS_FILE)
    result = []
    reader = threading.Thread(target=lambda: result.append(read_metrics(tmp_path / "fifo")), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert result == [()], "reading a FIFO must not block"
    assert read_metrics(tmp_path / "missing") == ()


@pytest.fixture
def harness(tmp_path, monkeypatch):
    """The course_harness module the sandbox gets, loaded from its file, writing to tmp_path."""
    monkeypatch.setenv("COURSE_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    spec = importlib.util.spec_from_file_location("course_harness_under_test", HARNESS_DIR / "course_harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_harness_refuses_bad_names_and_skips_values_that_are_not_finite(harness, tmp_path):
    board = harness.artifacts()
    for name in ("ValLoss", "val loss", "x" * 65, "", "loss_2"):
        with pytest.raises(ValueError, match="lowercase letters and underscores"):
            board.metric(name, 1.0)
    board.metric("val_loss", math.nan)
    board.metric("val_loss", math.inf)
    board.metric("val_loss", 1.25)
    board.metric("steps", 300)
    assert read_metrics(tmp_path / "artifacts") == (Metric("steps", 300.0), Metric("val_loss", 1.25))
    assert not list((tmp_path / "artifacts").glob("*.json"))  # metrics are not drawn as artifacts


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


# The tests publish after the learner's function returned; the learner's code also tries to
# plant values, both through the harness and by writing the file directly.
PUBLISHING_TEST = textwrap.dedent("""\
    from course_harness import get_function

    def test_doubles_and_measures(artifacts):
        double = get_function("double", "double(x)")
        assert double(2.0) == 4.0
        artifacts.metric("score", 2.5)
        artifacts.metric("seconds", 1.25)
        artifacts.metric("score", 3.5)
    """)
FORGING_CODE = textwrap.dedent("""\
    import os
    from course_harness import artifacts

    def double(x):
        artifacts().metric("score", 0.0)
        artifacts().metric("planted", 7.0)
        with open(os.path.join(os.environ["COURSE_ARTIFACT_DIR"], "metrics.jsonl"), "a") as f:
            f.write('{"name": "Loud", "value": 1}\\n{"name": "nan_value", "value": NaN}\\n{"name": "seconds"')
            f.write(', "value": "fast"}\\n')
        return x * 2
    """)
CRASHING_CODE = textwrap.dedent("""\
    import os
    from course_harness import artifacts

    def double(x):
        artifacts().metric("score", 0.0)
        os._exit(0)
    """)


@pytest.fixture(params=["warm", "cold"])
def measuring_ctx(request, tmp_path, content_tree):
    """The platform with each grading engine, on an exercise whose public test publishes metrics."""
    (content_tree / "exercises" / "double" / "tests" / "test_public.py").write_text(PUBLISHING_TEST)
    context = build_context(make_settings(tmp_path / "data", content_tree, CHECKER_MODE=request.param,
                                          CHECKER_WORKERS="1"))
    assert context.checker.describe().startswith(f"engine: {request.param}")
    yield context
    context.close()


def grade(ctx, code: str, mode: str = "submit") -> tuple[str, dict[str, float]]:
    with ctx.sessions() as session:
        user_id = _user(session)
    receipt = ctx.grading.submit(user_id=user_id, exercise_id="double", code=code, mode=mode)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        view = ctx.grading.verdict(user_id=user_id, submission_id=receipt.submission_id)
        if view.final:
            with ctx.sessions() as session:
                return view.status, stored(session, receipt.submission_id)
        time.sleep(0.05)
    raise AssertionError("no verdict in 90 s")


def _user(session) -> int:
    from db.users import create_user

    user = create_user(session, f"ada{time.monotonic_ns()}", "password-123")
    session.commit()
    return user.id


@pytest.mark.slow
def test_metrics_travel_from_the_tests_to_the_database_on_both_engines(measuring_ctx):
    status, metrics = grade(measuring_ctx, "def double(x):\n    return x * 2\n")
    assert status == "passed"
    assert metrics == {"score": 3.5, "seconds": 1.25}


@pytest.mark.slow
def test_the_tests_later_writes_beat_what_the_learners_code_planted(measuring_ctx):
    # Run mode: the publishing test is the last to call the learner's code. (On Submit a hidden
    # test that calls it again would give planted values the last word: the same-process limit.)
    status, metrics = grade(measuring_ctx, FORGING_CODE, mode="run")
    assert status == "passed"
    # The planted score was replaced; the malformed lines were dropped; a new name stays.
    assert metrics == {"score": 3.5, "seconds": 1.25, "planted": 7.0}


@pytest.mark.slow
def test_a_run_that_is_not_trusted_stores_no_metrics(measuring_ctx):
    status, metrics = grade(measuring_ctx, CRASHING_CODE, mode="run")
    assert status == "error"
    assert metrics == {}
