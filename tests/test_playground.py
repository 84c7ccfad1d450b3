"""Running the learner's code on their own text: service, queue, both engines and the page.

Everything is real: the database file, the worker pool, bubblewrap, the zygotes. The tiny
exercise's playground reports what it finds in the sandbox (the text, the files beside it,
whether it can overwrite the text) through artifacts, so the assertions read what the
sandboxed run actually saw.
"""
from __future__ import annotations

import sys
import uuid

import pytest
from sqlalchemy import func, select

from sandbox.inputs import OWN_TEXT
from grading.service import SubmitError
from courseware.loader import load_bank
from config import PROJECT_ROOT
from db import submissions
from db.models import Submission, SubmissionInput
from db.submission_inputs import load_inputs
from portal.context import build_context

from conftest import make_settings, write_content, write_exercise
from playground_fixtures import LEARNER_TEXT, add_playground, artifact_texts
from app_fixtures import add_user, app_env, logged_in, wait_for_verdict  # noqa: F401 (app_env is a fixture)
from service_fixtures import new_user, wait_final

pytestmark = [pytest.mark.slow, pytest.mark.database]
DOUBLE = "def double(x):\n    return x * 2\n"


def content_with_playground(root):
    """The minimal tree, its exercise given a playground, plus an exercise without one."""
    write_content(root)
    add_playground(root / "exercises" / "double")
    write_exercise(root, "plain")
    return root


@pytest.fixture(scope="module", params=["warm", "cold"])
def engine(request, tmp_path_factory):
    """Each engine, as the workers use it."""
    if request.param == "warm":
        yield request.getfixturevalue("warm_engine")
        return
    from sandbox.cold import Checker
    from sandbox.isolation import make_sandbox

    checker = Checker(make_sandbox("bwrap"), tmp_path_factory.mktemp("workspaces"))
    yield checker
    checker.close()


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return load_bank(content_with_playground(tmp_path_factory.mktemp("content"))).exercises["double"]


def test_the_text_reaches_the_sandbox_read_only_and_only_the_playground_runs(engine, spec):
    result = engine.check(spec, DOUBLE, "run", inputs={OWN_TEXT: LEARNER_TEXT})
    assert result.status == "passed", result
    assert [(t.name, t.visibility) for t in result.tests] == [("test_the_code_meets_the_learners_text", "public")]
    seen = artifact_texts(result.artifacts)
    assert seen["own text seen"] == f"{len(LEARNER_TEXT)} characters, starting {LEARNER_TEXT[:40]!r}"
    assert seen["own text writable"] == "False"
    files = seen["files beside the tests"].split()
    assert "playground.py" in files and "test_hidden.py" not in files and "test_public.py" not in files
    [line] = [a for a in result.artifacts if a.kind == "line"]
    assert f'"y": [{2.0 * len(LEARNER_TEXT)}]' in line.payload  # the learner's code ran on it


def test_the_playground_fails_when_the_learners_code_is_wrong(engine, spec):
    result = engine.check(spec, "def double(x):\n    return x * 3\n", "run", inputs={OWN_TEXT: LEARNER_TEXT})
    assert result.status == "failed"
    assert "double(x) should double every value" in result.tests[0].message


def test_without_inputs_run_and_submit_are_unchanged(engine, spec):
    run = engine.check(spec, DOUBLE, "run")
    assert [t.name for t in run.tests] == ["test_doubles_a_vector"]
    submit = engine.check(spec, DOUBLE, "submit")
    assert {t.visibility for t in submit.tests} == {"public", "hidden"}
    assert "playground" not in " ".join(t.name for t in submit.tests)


def test_engines_refuse_inputs_for_submit_or_without_a_playground(engine, spec, tmp_path):
    with pytest.raises(ValueError, match="no playground"):
        engine.check(spec, DOUBLE, "submit", inputs={OWN_TEXT: LEARNER_TEXT})
    plain = load_bank(content_with_playground(tmp_path / "content")).exercises["plain"]
    with pytest.raises(ValueError, match="no playground"):
        engine.check(plain, DOUBLE, "run", inputs={OWN_TEXT: LEARNER_TEXT})


def test_validation_runs_the_reference_through_the_playground(engine, tmp_path):
    from sandbox.validate import validate_exercise

    root = content_with_playground(tmp_path / "content")
    assert validate_exercise(engine, load_bank(root).exercises["double"]).ok
    playground = root / "exercises" / "double" / "tests" / "playground.py"
    playground.write_text(playground.read_text().replace("[2.0, 2.0]", "[2.0, 2.5]"))
    [problem] = validate_exercise(engine, load_bank(root).exercises["double"]).problems
    assert "must pass the playground (playground.py) on a sample text" in problem
    assert "double(x) should double every value" in problem


# ------------------------------------------------------------------ the grading service


@pytest.fixture(scope="module")
def pg_ctx(tmp_path_factory):
    """One platform for these tests (starting one takes seconds); each test has its own learner."""
    root = tmp_path_factory.mktemp("platform")
    context = build_context(make_settings(root / "data", content_with_playground(root / "content")))
    yield context
    context.close()


def fresh_user(ctx) -> int:
    return new_user(ctx, f"learner-{uuid.uuid4().hex[:8]}")


def stored_counts(ctx) -> tuple[int, int]:
    with ctx.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Submission)),
                session.scalar(select(func.count()).select_from(SubmissionInput)))


def test_a_run_on_the_learners_text_is_stored_graded_and_shown(pg_ctx):
    user_id = fresh_user(pg_ctx)
    receipt = pg_ctx.grading.submit(user_id=user_id, exercise_id="double", code=DOUBLE, mode="run",
                                    inputs={OWN_TEXT: LEARNER_TEXT.encode("utf-8")})
    assert receipt.status == "queued"
    with pg_ctx.sessions() as session:
        assert load_inputs(session, receipt.submission_id) == {OWN_TEXT: LEARNER_TEXT}
    view = wait_final(pg_ctx, user_id, receipt.submission_id)
    assert view.status == "passed" and view.inputs == (OWN_TEXT,) and view.mode == "run"
    assert [t["name"] for t in view.tests] == ["test_the_code_meets_the_learners_text"]
    assert artifact_texts(view.artifacts)["own text seen"].startswith(f"{len(LEARNER_TEXT)} characters")
    ordinary = pg_ctx.grading.submit(user_id=user_id, exercise_id="double", code=DOUBLE, mode="run")
    assert wait_final(pg_ctx, user_id, ordinary.submission_id).inputs == ()


@pytest.mark.parametrize("kwargs, words", [
    ({"mode": "submit", "inputs": {OWN_TEXT: LEARNER_TEXT}}, "only be used with Run"),
    ({"exercise_id": "plain", "inputs": {OWN_TEXT: LEARNER_TEXT}}, "has no playground"),
    ({"inputs": {OWN_TEXT: "too short"}}, "at least 500"),
    ({"inputs": {OWN_TEXT: "z" * 800}}, "only 1 distinct"),
    ({"inputs": {OWN_TEXT: "y" * 1_000_001}}, "limit is 1,000,000"),
    ({"inputs": {OWN_TEXT: b"\xff" * 800}}, "not UTF-8"),
    ({"inputs": {"../../etc/passwd": LEARNER_TEXT}}, "is not a file this platform accepts"),
])
def test_bad_inputs_are_refused_with_a_reason_and_nothing_is_stored(pg_ctx, kwargs, words):
    user_id = fresh_user(pg_ctx)
    before = stored_counts(pg_ctx)
    request = {"user_id": user_id, "exercise_id": "double", "code": DOUBLE, "mode": "run"} | kwargs
    with pytest.raises(SubmitError, match=words):
        pg_ctx.grading.submit(**request)
    assert stored_counts(pg_ctx) == before


def test_a_code_problem_with_a_good_text_is_an_error_record_that_never_runs(pg_ctx):
    user_id = fresh_user(pg_ctx)
    before = stored_counts(pg_ctx)
    receipt = pg_ctx.grading.submit(user_id=user_id, exercise_id="double", code="def double(x:\n", mode="run",
                                    inputs={OWN_TEXT: LEARNER_TEXT})
    assert receipt.status == "error" and "Syntax error" in receipt.message
    assert stored_counts(pg_ctx) == (before[0] + 1, before[1] + 1)
    view = pg_ctx.grading.verdict(user_id=user_id, submission_id=receipt.submission_id)
    assert view.status == "error" and view.inputs == (OWN_TEXT,) and view.tests == []
    with pg_ctx.sessions() as session:
        assert submissions.get_submission(session, receipt.submission_id).queue is None  # never sent to a queue


# ------------------------------------------------------------------ the real exercises

# An original text, short of the usual corpus: a learner's own paragraph.
LIGHTHOUSE = (
    "The lighthouse keeper writes the weather in a green book every evening.\n"
    "Wind from the west, a little rain, three ships, one of them late.\n"
    "His cat sleeps on the warm lamp housing and dreams of herring.\n"
    "In winter the sea throws stones at the door; in summer it brings visitors.\n"
    "He answers their questions patiently and never mentions the cat.\n"
) * 3


def test_the_bigram_reference_writes_like_a_short_original_text(ctx):
    user_id = new_user(ctx)
    spec = ctx.bank.exercises["bigram-model"]
    receipt = ctx.grading.submit(user_id=user_id, exercise_id="bigram-model", code=spec.solution_path.read_text(),
                                 mode="run", inputs={OWN_TEXT: LIGHTHOUSE})
    view = wait_final(ctx, user_id, receipt.submission_id)
    assert view.status == "passed", (view.error_reason, view.tests, view.output)
    texts = artifact_texts(view.artifacts)
    [generated] = [t for name, t in texts.items() if name.startswith("generated text")]
    assert len(generated) == 400 and set(generated) <= set(LIGHTHOUSE)
    [curve] = [a for a in view.artifacts if a["kind"] == "line"]
    assert curve["y"][-1] < curve["y"][0]  # more counted text, less surprise on the held-out part
    assert f"{len(LIGHTHOUSE):,} characters" in texts["what the model learned"]

    starter = ctx.grading.submit(user_id=user_id, exercise_id="bigram-model", code=spec.starter, mode="run",
                                 inputs={OWN_TEXT: LIGHTHOUSE})
    view = wait_final(ctx, user_id, starter.submission_id)
    assert view.status == "failed" and "not written yet" in view.tests[0]["message"]


# ------------------------------------------------------------------ the page


def test_the_exercise_page_runs_the_editor_code_on_a_pasted_text(app_env):  # noqa: F811
    add_user(app_env)
    at = logged_in(app_env)
    at.switch_page("app_pages/exercise.py")
    at.query_params["id"] = "stable-softmax"  # no playground: no panel
    at.run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "own_text_run"]
    assert not [e for e in at.expander if "own text" in e.label]

    at.query_params["id"] = "bigram-model"
    at.run()
    at.session_state["code_seam:bigram-model"] = (PROJECT_ROOT / "exercises" / "bigram-model" / "solution.py").read_text()
    at.text_area(key="own_text_paste:bigram-model").input("far too short").run()
    at.button(key="own_text_run").click().run()
    assert any("at least 500" in e.value for e in at.error), [e.value for e in at.error]

    at.text_area(key="own_text_paste:bigram-model").input(LIGHTHOUSE).run()
    at.button(key="own_text_run").click().run()
    wait_for_verdict(at, timeout_s=90)
    assert any("Run on your own text" in s.value and "**passed**" in s.value for s in at.success), \
        [s.value for s in at.success]
    assert any(line.value and set(line.value) <= set(LIGHTHOUSE) and len(line.value) == 400 for line in at.code)

    from ui.session import get_context

    with get_context().sessions() as session:
        [stored] = submissions.list_submissions(session, at.session_state["user"].id, "bigram-model")
        assert stored.mode == "run" and load_inputs(session, stored.id) == {OWN_TEXT: LIGHTHOUSE}
