"""Regrading without losing history: content versions, migration 0005, the bookkeeping of a
superseded verdict, the portal function through the real grading engine, and the CLI."""
from __future__ import annotations

import shutil
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from conftest import make_settings, write_content
import config as settings_module
from courseware.content_version import content_version
from courseware.loader import load_bank
from db import submissions, users
from db.migrate import alembic_config, current_revision
from db.models import ExerciseProgress, Submission
from portal import admin
from portal.__main__ import main
from portal.access import AccessDenied
from portal.auth import CurrentUser
from portal.regrade import (
    STALE_LABEL, attempt_note, is_stale, regrade, regrade_notice, regrade_outcomes, stale_exercises, stale_standings,
)
from postgres_server import database_url_for

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

HALF_WRONG = "def double(x):\n    return x * 2.0\n"  # right for floats, turns integer tensors into floats
INTEGER_TEST = textwrap.dedent("""\

    def test_keeps_integer_dtype():
        double = get_function("double", "double(x)")
        x = torch.arange(4)
        assert double(x).dtype == x.dtype, "double(x) must keep the dtype of x"
    """)


def _spec(root: Path, exercise_id: str = "double"):
    return load_bank(root).exercises[exercise_id]


# --- content versions -------------------------------------------------------------------------


def test_content_version_is_short_hex_deterministic_and_independent_of_path_and_mtime(content_tree, tmp_path):
    version = content_version(_spec(content_tree))
    assert len(version) == 12 and int(version, 16) >= 0
    assert content_version(_spec(content_tree)) == version
    clone = tmp_path / "elsewhere" / "clone"
    shutil.copytree(content_tree, clone)  # another clone: other path, other mtimes
    for path in (clone / "exercises" / "double" / "tests").iterdir():
        path.touch()
    assert content_version(_spec(clone)) == version
    (clone / "exercises" / "double" / "tests" / "__pycache__").mkdir()
    (clone / "exercises" / "double" / "tests" / "__pycache__" / "test_public.cpython-311.pyc").write_bytes(b"x")
    assert content_version(_spec(clone)) == version


@pytest.mark.parametrize("change", ["public test", "hidden test", "support file", "limits", "points", "rules"])
def test_content_version_changes_with_what_grading_uses(content_tree, change):
    folder = content_tree / "exercises" / "double"
    before = content_version(_spec(content_tree))
    yaml_file = folder / "exercise.yaml"
    if change == "public test":
        with (folder / "tests" / "test_public.py").open("a") as f:
            f.write("\n# one more comment\n")
    elif change == "hidden test":
        with (folder / "tests" / "test_hidden.py").open("a") as f:
            f.write(INTEGER_TEST)
    elif change == "support file":
        (folder / "tests" / "double_support.py").write_text("REFERENCE = 2\n")
    elif change == "limits":
        yaml_file.write_text(yaml_file.read_text().replace("time_s: 30", "time_s: 40"))
    elif change == "points":
        yaml_file.write_text(yaml_file.read_text().replace("points: 10", "points: 12"))
    else:
        yaml_file.write_text(yaml_file.read_text() + "rules: [test_doubles_a_matrix]\n")
    assert content_version(_spec(content_tree)) != before


@pytest.mark.parametrize("change", ["prompt", "hints", "starter", "solution", "title"])
def test_content_version_ignores_what_grading_does_not_use(content_tree, change):
    folder = content_tree / "exercises" / "double"
    before = content_version(_spec(content_tree))
    yaml_file = folder / "exercise.yaml"
    if change == "prompt":
        (folder / "prompt.md").write_text("Write `double(x)`, which doubles every element.\n")
    elif change == "hints":
        yaml_file.write_text(yaml_file.read_text().replace('["multiply by two"]', '["multiply by 2", "or add x"]'))
    elif change == "starter":
        (folder / "starter.py").write_text("def double(x):\n    pass\n")
    elif change == "solution":
        (folder / "solution.py").write_text("def double(x):\n    return x + x\n")
    else:
        yaml_file.write_text(yaml_file.read_text().replace("Double a tensor", "Doubling"))
    assert content_version(_spec(content_tree)) == before


def test_stale_rule_and_attempt_notes():
    assert is_stale("aaa", "bbb") and not is_stale("aaa", "aaa")
    assert not is_stale(None, "bbb")  # graded before versions were recorded: unknown, not stale
    assert not is_stale("aaa", None)
    assert attempt_note(regrade_of=None, superseded_by=None, content_version="a", current="a") == ""
    assert attempt_note(regrade_of=None, superseded_by=9, content_version="a", current="b") == \
        f"superseded by regrade #9; {STALE_LABEL}"
    assert attempt_note(regrade_of=3, superseded_by=None, content_version="b", current="b") == "regrade of #3"


# --- migration ---------------------------------------------------------------------------------


def test_migration_0005_keeps_every_row_up_and_down(db_url):
    """Upgrade a populated 0004 database: nothing is copied or lost (SQLite would cascade-delete test
    results if the submissions table were rebuilt); old verdicts have no version; and back down."""
    from db.engine import make_engine

    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), "0004")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, display_name, password_hash, role, is_active, "
                              "failed_logins, created_at) VALUES (1, 'ada', 'Ada', 'x', 'learner', true, 0, "
                              "'2026-01-01 00:00:00+00:00')"))
            conn.execute(text("INSERT INTO submissions (id, user_id, exercise_id, mode, code, status, score, "
                              "created_at) VALUES (7, 1, 'double', 'submit', 'code', 'passed', 10, "
                              "'2026-01-01 00:00:00+00:00')"))
            conn.execute(text("INSERT INTO test_results (submission_id, name, visibility, outcome, message, "
                              "duration_s) VALUES (7, 'test_a', 'public', 'passed', '', 0.1)"))
            conn.execute(text("INSERT INTO exercise_progress (user_id, exercise_id, attempts, best_score) "
                              "VALUES (1, 'double', 1, 10)"))
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), "0005")
        assert current_revision(engine) == "0005"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM test_results")).scalar() == 1
            row = conn.execute(text("SELECT content_version, regrade_of, superseded_by, score FROM submissions")).one()
            assert tuple(row) == (None, None, None, 10)
            assert conn.execute(text("SELECT best_content_version FROM exercise_progress")).scalar() is None
        indexes = {i["name"] for i in inspect(engine).get_indexes("submissions")}
        assert "ix_submissions_user_exercise_mode_status_class_superseded" in indexes
        assert "ix_submissions_user_id_exercise_id_mode_status_error_class" not in indexes
        with engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), "0004")
        columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
        assert not columns & {"content_version", "regrade_of", "superseded_by"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM test_results")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 1
    finally:
        engine.dispose()


# --- the bookkeeping of a regrade, on the database alone -----------------------------------------


def _graded(session, user_id, *, score, status, version, regrade_of=None, late=None, metric=None) -> int:
    sub = submissions.create_submission(session, user_id=user_id, exercise_id="double", mode="submit", code="c",
                                        late_minutes=late, queue="cpu", regrade_of=regrade_of)
    session.commit()
    submissions.store_result(session, sub.id, status=status, score=score, tests=[], artifacts=[],
                             points_possible=10, content_version=version,
                             metrics=[{"name": "val_loss", "value": metric}] if metric is not None else ())
    return sub.id


def _progress(session, user_id) -> ExerciseProgress:
    session.expire_all()
    return session.scalars(select(ExerciseProgress).where(ExerciseProgress.user_id == user_id)).one()


def test_a_regrade_supersedes_and_best_score_and_first_pass_follow_it(db_session, learner_id):
    first = _graded(db_session, learner_id, score=10, status="passed", version="v1", late=30, metric=1.5)
    latest = _graded(db_session, learner_id, score=8, status="failed", version="v1", metric=1.2)
    progress = _progress(db_session, learner_id)
    assert (progress.attempts, progress.best_score, progress.best_content_version) == (2, 10, "v1")
    assert progress.passed_at is not None
    # Both Submits regraded against v2: the first now fails, the latest now passes.
    re_first = _graded(db_session, learner_id, score=5, status="failed", version="v2", regrade_of=first, late=30,
                       metric=2.0)
    progress = _progress(db_session, learner_id)
    assert (progress.attempts, progress.best_score, progress.best_content_version) == (2, 8, "v1")
    assert progress.passed_at is None  # the only pass was superseded
    re_latest = _graded(db_session, learner_id, score=10, status="passed", version="v2", regrade_of=latest)
    progress = _progress(db_session, learner_id)
    assert (progress.attempts, progress.best_score, progress.best_content_version) == (2, 10, "v2")
    latest_row = db_session.get(Submission, latest)
    # A pass by regrade counts from when the learner handed the code in.
    assert progress.passed_at == latest_row.finished_at
    assert progress.last_submission_at == latest_row.finished_at  # a regrade is no activity of the learner's
    assert db_session.get(Submission, first).superseded_by == re_first
    assert latest_row.superseded_by == re_latest and latest_row.status == "failed"  # history kept as it was

    # The leaderboard and the gradebook's first pass leave superseded verdicts out.
    from portal.leaderboard import _judged_runs

    runs = _judged_runs(db_session, "double", [learner_id], ["val_loss"])
    assert sorted(r.submission_id for r in runs) == [re_first]  # regrade of latest stored no metric
    first_pass = db_session.scalar(select(Submission.id).where(
        Submission.status == "passed", Submission.mode == "submit", Submission.superseded_by.is_(None)))
    assert first_pass == re_latest


def test_regrades_stored_out_of_order_leave_the_newest_standing(db_session, learner_id):
    original = _graded(db_session, learner_id, score=10, status="passed", version="v1")
    older = submissions.create_submission(db_session, user_id=learner_id, exercise_id="double", mode="submit",
                                          code="c", queue="cpu", regrade_of=original)
    newer = submissions.create_submission(db_session, user_id=learner_id, exercise_id="double", mode="submit",
                                          code="c", queue="cpu", regrade_of=original)
    db_session.commit()
    older_id, newer_id = older.id, newer.id
    for sub_id, score in ((newer_id, 4.0), (older_id, 6.0)):  # the newer regrade finishes first
        submissions.store_result(db_session, sub_id, status="failed", score=score, tests=[], artifacts=[],
                                 points_possible=10, content_version="v3")
    db_session.expire_all()
    assert db_session.get(Submission, original).superseded_by == newer_id
    assert db_session.get(Submission, older_id).superseded_by == newer_id
    assert db_session.get(Submission, newer_id).superseded_by is None
    assert _progress(db_session, learner_id).best_score == 4.0


def test_a_tie_moves_the_best_score_to_the_newer_tests(db_session, learner_id):
    _graded(db_session, learner_id, score=10, status="passed", version="v1")
    _graded(db_session, learner_id, score=10, status="passed", version="v2")
    assert _progress(db_session, learner_id).best_content_version == "v2"
    _graded(db_session, learner_id, score=3, status="failed", version="v3")
    assert _progress(db_session, learner_id).best_content_version == "v2"


# --- through the real grading engine --------------------------------------------------------------


def _wait(ctx, ids, timeout_s=90):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with ctx.sessions() as session:
            statuses = session.scalars(select(Submission.status).where(Submission.id.in_(ids))).all()
        if statuses and all(s in ("passed", "failed", "error") for s in statuses):
            return
        time.sleep(0.05)
    raise AssertionError(f"submissions {ids} not final after {timeout_s}s")


def _account(ctx, name, role="learner") -> CurrentUser:
    with ctx.sessions() as session:
        user = users.create_user(session, name, "password-123", role=role)
        session.commit()
        return CurrentUser(user.id, user.username, user.username, user.role)


def _submit(ctx, user, code) -> int:
    receipt = ctx.grading.submit(user_id=user.id, exercise_id="double", code=code, mode="submit")
    _wait(ctx, [receipt.submission_id])
    return receipt.submission_id


@pytest.fixture
def platform(tmp_path):
    from portal.context import build_context

    content = write_content(tmp_path / "content")
    context = build_context(make_settings(tmp_path / "data", content))
    yield context, content
    context.close()


@pytest.mark.slow
def test_regrade_end_to_end_through_the_real_checker(platform):
    ctx, content = platform
    boss = _account(ctx, "boss", "admin")
    ada, bob, cy = _account(ctx, "ada"), _account(ctx, "bob"), _account(ctx, "cyd")
    admin.create_cohort(ctx.sessions, boss, name="Spring", track_id="tiny", start_date=date.today() - timedelta(days=1),
                        pacing="all-open", known_tracks=ctx.bank.tracks)
    admin.move_learner(ctx.sessions, boss, "ada", "Spring")
    admin.move_learner(ctx.sessions, boss, "bob", "Spring")
    spec = ctx.bank.exercises["double"]
    v1 = content_version(spec)
    ada_run = ctx.grading.submit(user_id=ada.id, exercise_id="double", code=HALF_WRONG, mode="run").submission_id
    ada_sub = _submit(ctx, ada, HALF_WRONG)
    bob_sub = _submit(ctx, bob, "def double(x):\n    return x + x\n")
    cy_sub = _submit(ctx, cy, HALF_WRONG)
    _wait(ctx, [ada_run])
    with ctx.sessions() as session:
        assert session.get(Submission, ada_sub).content_version == v1
        assert session.get(Submission, ada_sub).score == 10
    assert stale_standings(ctx.sessions, ctx.bank, [ada.id, bob.id], ["double"]) == set()

    # The hidden tests change: ada's and cy's code turns integer tensors into floats, bob's does not.
    with (content / "exercises" / "double" / "tests" / "test_hidden.py").open("a") as f:
        f.write(INTEGER_TEST)
    v2 = content_version(spec)
    assert v2 != v1
    assert stale_standings(ctx.sessions, ctx.bank, [ada.id, bob.id], ["double"]) == {(ada.id, "double"),
                                                                                       (bob.id, "double")}
    assert stale_exercises(ctx.sessions, ctx.bank, ada.id) == [("double", "Double a tensor")]
    from portal.dashboard import cohort_dashboard

    cohort_id = admin.list_cohorts(ctx.sessions, boss)[0].id
    assert cohort_dashboard(ctx.sessions, ctx.bank, boss, cohort_id, today=date.today()).stale == \
        {(ada.id, "double"), (bob.id, "double")}

    with pytest.raises(AccessDenied):
        regrade(ctx.sessions, ctx.bank, ctx.grading, ada, "double")
    with pytest.raises(admin.AdminError, match="no cohort named 'Autumn'"):
        regrade(ctx.sessions, ctx.bank, ctx.grading, boss, "double", cohort="Autumn")
    report = regrade(ctx.sessions, ctx.bank, ctx.grading, boss, "double", cohort="Spring")
    assert (len(report.queued), report.originals, report.version) == (2, sorted([ada_sub, bob_sub]), v2)
    assert "Queued 2 submission(s) of 'double' in Spring" in report.message
    _wait(ctx, report.queued)

    with ctx.sessions() as session:
        ada_new = session.scalar(select(Submission).where(Submission.regrade_of == ada_sub))
        old = session.get(Submission, ada_sub)
        assert (ada_new.status, ada_new.mode, ada_new.content_version, ada_new.code) == ("failed", "submit", v2,
                                                                                        HALF_WRONG)
        assert 0 < ada_new.score < 10
        assert (old.status, old.score, old.superseded_by) == ("passed", 10, ada_new.id)  # history kept
        assert session.get(Submission, ada_run).superseded_by is None  # Run is never regraded
        progress = session.scalars(select(ExerciseProgress).where(ExerciseProgress.user_id == ada.id)).one()
        assert (progress.attempts, progress.best_score, progress.passed_at) == (1, ada_new.score, None)
        bob_progress = session.scalars(select(ExerciseProgress).where(ExerciseProgress.user_id == bob.id)).one()
        assert bob_progress.best_score == 10 and bob_progress.passed_at is not None
        cy_old = session.get(Submission, cy_sub)
        assert cy_old.superseded_by is None  # cyd is in no cohort: not part of this regrade
    assert stale_standings(ctx.sessions, ctx.bank, [ada.id, bob.id, cy.id], ["double"]) == {(cy.id, "double")}

    notice = regrade_notice(ctx.sessions, ctx.bank, ada.id, "double")
    assert notice is not None and notice.changed and notice.submission_id == ada_new.id
    assert f"against updated tests: was 10/10, now {ada_new.score:g}/10." in notice.message
    assert regrade_notice(ctx.sessions, ctx.bank, cy.id, "double") is None
    from portal.exercise import attempts

    history = {a.submission_id: a for a in attempts(ctx.sessions, ada.id, "double", current_version=v2)}
    assert history[ada_sub].note == f"superseded by regrade #{ada_new.id}; {STALE_LABEL}"
    assert history[ada_new.id].note == f"regrade of #{ada_sub}"
    assert history[ada_run].note == STALE_LABEL
    from portal.gradebook import gradebook_rows

    header, *rows = gradebook_rows(ctx.sessions, ctx.bank, boss, cohort_id)
    by_user = {r[0]: dict(zip(header, r)) for r in rows}
    assert by_user["ada"]["double best"] == ada_new.score and by_user["ada"]["double first pass (UTC)"] == ""
    assert by_user["bob"]["double best"] == 10
    dashboard = cohort_dashboard(ctx.sessions, ctx.bank, boss, cohort_id, today=date.today())
    assert dashboard.best[(ada.id, "double")] == ada_new.score and dashboard.stale == set()
    outcomes = {o.username: o for o in regrade_outcomes(ctx.sessions, boss, report.queued)}
    assert (outcomes["ada"].was_score, outcomes["ada"].now_score) == (10, ada_new.score)

    # Nothing new to do; then forced, and a new regrade supersedes the previous one (a chain).
    again = regrade(ctx.sessions, ctx.bank, ctx.grading, boss, "double")
    assert (len(again.queued), again.up_to_date) == (1, 2)  # cyd's, still against v1
    _wait(ctx, again.queued)
    forced = regrade(ctx.sessions, ctx.bank, ctx.grading, boss, "double", cohort="Spring", force=True)
    assert len(forced.queued) == 2
    _wait(ctx, forced.queued)
    with ctx.sessions() as session:
        session.expire_all()
        assert session.get(Submission, ada_sub).superseded_by == ada_new.id
        newest = session.get(Submission, ada_new.id).superseded_by
        assert newest in forced.queued and session.get(Submission, newest).regrade_of == ada_sub
        progress = session.scalars(select(ExerciseProgress).where(ExerciseProgress.user_id == ada.id)).one()
        assert progress.attempts == 1
    notice = regrade_notice(ctx.sessions, ctx.bank, ada.id, "double")
    assert not notice.changed and "its score is unchanged" in notice.message

    # A new Submit of the learner's own is the latest again: no notice, and it counts as an attempt.
    _submit(ctx, ada, "def double(x):\n    return x * 2\n")
    assert regrade_notice(ctx.sessions, ctx.bank, ada.id, "double") is None
    with ctx.sessions() as session:
        progress = session.scalars(select(ExerciseProgress).where(ExerciseProgress.user_id == ada.id)).one()
        assert (progress.attempts, progress.best_score) == (2, 10)


@pytest.mark.slow
def test_regrade_skips_refused_input_and_reports_an_unreachable_queue(platform):
    ctx, _ = platform
    boss, ada, bob = _account(ctx, "boss", "admin"), _account(ctx, "ada"), _account(ctx, "bob")
    refused = ctx.grading.submit(user_id=ada.id, exercise_id="double", code="def double(x:\n", mode="submit")
    assert refused.status == "error"
    _submit(ctx, bob, HALF_WRONG)
    with ctx.sessions() as session:  # bob's verdict came from other tests
        session.execute(text("UPDATE submissions SET content_version = 'feedfeedfeed'"))
        session.commit()

    class Down:
        def enqueue(self, submission_id, queue="cpu"):
            raise ConnectionError("broker down")

        def gpu_available(self):
            return False

    real, ctx.grading.backend = ctx.grading.backend, Down()
    try:
        report = regrade(ctx.sessions, ctx.bank, ctx.grading, boss, "double")
    finally:
        ctx.grading.backend = real
    assert report.queued == [] and report.not_gradable == 1 and "unreachable" in report.problem
    with ctx.sessions() as session:  # nothing left queued for a worker that will never see it
        assert session.scalar(select(Submission.id).where(Submission.regrade_of.is_not(None))) is None
    report = regrade(ctx.sessions, ctx.bank, ctx.grading, boss, "double")
    assert len(report.queued) == 1 and report.problem is None
    assert "1 never graded (refused input)" in report.message


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    content = write_content(tmp_path / "content")
    data = tmp_path / "cli-data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(content))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if url := database_url_for(data):  # --database=postgresql
        monkeypatch.setenv("DATABASE_URL", url)
    settings_module.get_settings.cache_clear()
    yield make_settings(data, content)
    settings_module.get_settings.cache_clear()


@pytest.mark.slow
def test_cli_regrade_queues_grades_and_prints_the_changes(cli_env, capsys):
    from portal.context import build_context

    ctx = build_context(cli_env)
    try:
        ada = _account(ctx, "ada")
        ada_sub = _submit(ctx, ada, HALF_WRONG)
    finally:
        ctx.close()
    with (cli_env.content_dir / "exercises" / "double" / "tests" / "test_hidden.py").open("a") as f:
        f.write(INTEGER_TEST)
    assert main(["regrade", "double"]) == 0
    out = capsys.readouterr().out
    assert "Queued 1 submission(s) of 'double' for regrading" in out
    assert "grading 1 regrade(s) here" in out
    [line] = [l for l in out.splitlines() if l.startswith("ada")]
    assert line.split()[:2] == ["ada", "10"] and line.split()[-1] == "failed"
    from db.engine import make_engine, session_factory

    engine = make_engine(cli_env.sqlalchemy_url)
    try:
        with session_factory(engine)() as session:
            assert session.get(Submission, ada_sub).superseded_by is not None
    finally:
        engine.dispose()
    assert main(["regrade", "double"]) == 0
    assert "Queued 0 submission(s)" in capsys.readouterr().out
    assert main(["regrade", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no exercise 'nope'") and err.count("\n") == 1
