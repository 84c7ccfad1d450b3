"""Backups while serving, restores that refuse to do harm, and each learner's data on request.

Real database (SQLite here; a PostgreSQL database with pg_dump/pg_restore under
``--database=postgresql``), real grading through the sandbox for the burst.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select

from courseware.loader import load_bank
from config import PROJECT_ROOT
from db import drafts, submissions, users
from db.engine import make_engine, session_factory
from db.migrate import alembic_config, current_revision, head_revision, upgrade
from db.models import ApiToken, HintUse, LessonProgress, Submission, TestResult, User
from portal import backup as backups
from portal.access import AccessDenied
from portal.backup_schedule import BackupSchedule
from portal.context import build_context
from portal.dashboard import cohort_dashboard
from portal.gradebook import gradebook_rows
from portal.user_data import delete_user, export_user

from cohort_fixtures import graded, seed
from conftest import make_settings, write_content

pytestmark = [pytest.mark.slow, pytest.mark.database]

RIGHT = "def double(x):\n    return x * 2\n"
WRONG = "def double(x):\n    return x * 3\n"


@pytest.fixture
def content(tmp_path):
    return write_content(tmp_path / "content")


def _settings(tmp_path: Path, name: str, content: Path):
    return make_settings(tmp_path / name, content)


def _final_snapshot(sessions) -> dict[int, tuple[str, float | None, int]]:
    """Every finished submission: (status, score, number of test rows)."""
    with sessions() as session:
        rows = session.execute(
            select(Submission.id, Submission.status, Submission.score, func.count(TestResult.id))
            .outerjoin(TestResult, TestResult.submission_id == Submission.id)
            .where(Submission.status.in_(("passed", "failed", "error")))
            .group_by(Submission.id, Submission.status, Submission.score)).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_a_backup_taken_during_a_200_submission_burst_restores_everything_committed_before_it(tmp_path, content):
    live = _settings(tmp_path, "live", content)
    ctx = build_context(live)
    try:
        with ctx.sessions() as session:
            learners = [users.create_user(session, f"learner{i:02d}", "password-123").id for i in range(20)]
            session.commit()
        receipts: list[int] = []

        def burst() -> None:
            for i in range(200):
                receipt = ctx.grading.submit(user_id=learners[i % 20], exercise_id="double",
                                             code=RIGHT if i % 3 else WRONG, mode="submit")
                receipts.append(receipt.submission_id)

        sender = threading.Thread(target=burst)
        sender.start()
        deadline = time.monotonic() + 120
        while len(_final_snapshot(ctx.sessions)) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = _final_snapshot(ctx.sessions)  # committed before the backup starts
        folder, manifest = backups.backup(live, tmp_path / "backup")
        sender.join()
        deadline = time.monotonic() + 300
        while len(_final_snapshot(ctx.sessions)) < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_final_snapshot(ctx.sessions)) == 200, "the burst did not finish"
    finally:
        ctx.close()
    assert 40 <= len(before) < 200, "the backup was not taken in the middle of the burst"
    assert manifest.counts["submissions"] >= len(before) and manifest.schema_revision == head_revision()

    fresh = _settings(tmp_path, "fresh", content)
    report = backups.restore(fresh, folder)
    assert report.counts["submissions"] == manifest.counts["submissions"]
    engine = make_engine(fresh.sqlalchemy_url)
    try:
        restored = _final_snapshot(session_factory(engine))
        for sid, (status, score, tests) in before.items():
            assert restored.get(sid) == (status, score, tests), f"submission {sid} changed in the restore"
        # Consistent: every verdict has all its test rows (3 for this exercise), queued work has none.
        assert all(tests == 3 for status, _, tests in restored.values() if status != "error")
        with engine.connect() as conn:
            unfinished = conn.execute(select(func.count(TestResult.id)).join(
                Submission, Submission.id == TestResult.submission_id).where(
                Submission.status.in_(("queued", "running")))).scalar_one()
        assert unfinished == 0
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_restore_refuses_while_the_app_serves_the_target_unless_told_what_is_lost(tmp_path, content):
    source = _settings(tmp_path, "source", content)
    upgrade(source.sqlalchemy_url)
    folder, _ = backups.backup(source, tmp_path / "b")
    target = _settings(tmp_path, "target", content)
    ctx = build_context(target)
    try:
        with ctx.sessions() as session:
            users.create_user(session, "kept-until-forced", "password-123")
            session.commit()
        with pytest.raises(backups.BackupError, match="refusing to restore.*discard-current-data"):
            backups.restore(target, folder)
        with pytest.raises(backups.BackupError, match="confirm with the word"):
            backups.restore(target, folder, force="yes")
        with ctx.sessions() as session:
            assert session.scalar(select(func.count(User.id))) == 1  # nothing touched by the refusals
    finally:
        ctx.close()
    report = backups.restore(target, folder, force=backups.DISCARD_WORD)
    assert report.counts["users"] == 0


def test_a_backup_from_an_older_schema_is_migrated_on_restore(tmp_path, content):
    old = _settings(tmp_path, "old", content)
    engine = make_engine(old.sqlalchemy_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(connection=connection)
            command.upgrade(config, "0003")
        with session_factory(engine)() as session:
            users.create_user(session, "ada", "password-123")
            session.commit()
    finally:
        engine.dispose()
    folder, manifest = backups.backup(old, tmp_path / "b")
    assert manifest.schema_revision == "0003" and manifest.counts["users"] == 1
    fresh = _settings(tmp_path, "fresh", content)
    report = backups.restore(fresh, folder)
    assert (report.from_revision, report.to_revision) == ("0003", head_revision())
    engine = make_engine(fresh.sqlalchemy_url)
    try:
        assert current_revision(engine) == head_revision()
        with session_factory(engine)() as session:
            assert users.find_user(session, "ada") is not None
    finally:
        engine.dispose()


def test_damaged_incomplete_and_unknown_backups_are_refused_and_the_target_is_untouched(tmp_path, content):
    source = _settings(tmp_path, "source", content)
    upgrade(source.sqlalchemy_url)
    folder, manifest = backups.backup(source, tmp_path / "b")
    target = _settings(tmp_path, "target", content)
    upgrade(target.sqlalchemy_url)

    (tmp_path / "empty").mkdir()
    with pytest.raises(backups.BackupError, match="no manifest.json"):
        backups.restore(target, tmp_path / "empty")
    with pytest.raises(backups.BackupError, match="already exists and is not empty"):
        backups.backup(source, folder)
    data = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps(data | {"schema_revision": "9999"}))
    with pytest.raises(backups.BackupError, match="schema revision 9999 is unknown"):
        backups.restore(target, folder)
    (folder / "manifest.json").write_text(json.dumps(data | {"sha256": "0" * 64}))
    with pytest.raises(backups.BackupError, match="damaged"):
        backups.restore(target, folder)
    (folder / "manifest.json").write_text(json.dumps(data | {"database": "oracle"}))
    with pytest.raises(backups.BackupError, match="restore it into a oracle database"):
        backups.restore(target, folder)


def test_scheduled_backups_keep_the_newest(tmp_path, content):
    settings = make_settings(tmp_path / "data", content, BACKUP_EVERY_HOURS="1", BACKUP_KEEP="2")
    upgrade(settings.sqlalchemy_url)
    schedule = BackupSchedule(settings)
    for _ in range(3):
        schedule.run_once()
    kept = sorted((settings.data_dir / "backups").glob("backup-*"))
    assert len(kept) == 2 and all((k / "manifest.json").is_file() for k in kept)


def _learner_world(tmp_path, content):
    settings = _settings(tmp_path, "data", content)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    sessions = session_factory(engine)
    world = seed(sessions)
    for who, code in ((world.ada, "# ada's own code\n"), (world.bob, "# bob's secret code\n")):
        graded(sessions, who.id, "double", "failed", score=5.0, hidden_failures=("test_doubles_a_matrix",))
        with sessions() as session:
            sub = submissions.create_submission(session, user_id=who.id, exercise_id="double", mode="run", code=code)
            drafts.save_draft(session, who.id, "double", code)
            session.add_all([HintUse(user_id=who.id, exercise_id="double", hint_index=0),
                             LessonProgress(user_id=who.id, lesson_id="doubling"),
                             ApiToken(user_id=who.id, name="laptop", token_hash=f"{who.username:0<64}"[:64],
                                      prefix=who.username[:4])])
            session.commit()
            assert sub.id
    return engine, sessions, world


def test_a_learners_export_holds_all_of_theirs_and_nothing_of_anyone_else(tmp_path, content):
    engine, sessions, w = _learner_world(tmp_path, content)
    try:
        name, data = export_user(sessions, w.ada, w.ada.id)
        with pytest.raises(AccessDenied):
            export_user(sessions, w.bob, w.ada.id)
        assert export_user(sessions, w.admin, w.ada.id)[0] == name
    finally:
        engine.dispose()
    assert name.startswith("course-data-ada-") and name.endswith(".zip")
    files = zipfile.ZipFile(io.BytesIO(data))
    tables = {n[len("data/"):-len(".json")]: json.loads(files.read(n)) for n in files.namelist()
              if n.startswith("data/")}
    for table in ("users", "submissions", "test_results", "drafts", "hint_uses", "lesson_progress",
                  "exercise_progress", "cohort_members", "api_tokens"):
        assert tables[table], f"{table} is missing from the export"
    assert [u["username"] for u in tables["users"]] == ["ada"]
    assert {s["user_id"] for s in tables["submissions"]} == {w.ada.id} and len(tables["submissions"]) == 2
    assert {t["submission_id"] for t in tables["test_results"]} <= {s["id"] for s in tables["submissions"]}
    assert all(row.get("user_id", w.ada.id) == w.ada.id for rows in tables.values() for row in rows)
    everything = b"".join(files.read(n) for n in files.namelist())
    assert b"bob" not in everything and b"password_hash" not in everything and b"token_hash" not in everything
    assert b"argon2" not in everything
    code_files = [n for n in files.namelist() if n.startswith("code/double/")]
    assert len(code_files) == 2 and files.read("drafts/double.py") == b"# ada's own code\n"


def test_a_deleted_learner_is_gone_from_the_dashboard_and_the_gradebook(tmp_path, content):
    engine, sessions, w = _learner_world(tmp_path, content)
    bank = load_bank(content)
    try:
        before = cohort_dashboard(sessions, bank, w.lena, w.alpha, today=date.today())
        assert "ada" in {learner.username for learner in before.learners}
        with pytest.raises(AccessDenied):
            delete_user(sessions, w.lena, "ada")
        removed = delete_user(sessions, w.admin, "ada")
        assert removed["users"] == 1 and removed["submissions"] == 2 and removed["drafts"] == 1
        assert removed["cohort_members"] == 1 and removed["test_results"] >= 1
        after = cohort_dashboard(sessions, bank, w.lena, w.alpha, today=date.today())
        assert "ada" not in {learner.username for learner in after.learners}
        assert all(uid != w.ada.id for uid, _ in after.best)
        grades = gradebook_rows(sessions, bank, w.lena, w.alpha)
        assert not any("ada" in map(str, row) for row in grades[1:]) and len(grades) == len(before.learners)
        with sessions() as session:
            assert session.scalar(select(func.count(Submission.id)).where(Submission.user_id == w.ada.id)) == 0
            assert session.scalar(select(func.count(Submission.id)).where(Submission.user_id == w.bob.id)) == 2
    finally:
        engine.dispose()


def test_the_command_line_backs_up_restores_exports_and_deletes(tmp_path, content):
    settings = _settings(tmp_path, "data", content)
    env = {"COURSE_DATA_DIR": str(settings.data_dir), "COURSE_CONTENT_DIR": str(content),
           "DATABASE_URL": settings.sqlalchemy_url, "PATH": "/usr/bin:/bin:/usr/local/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "portal", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    assert cli("users", "add", "ada", "--name", "Ada", "--password", "password-123").returncode == 0
    done = cli("backup", str(tmp_path / "b"))
    assert done.returncode == 0 and "backup of the" in done.stdout, done.stderr
    done = cli("users", "export", "ada", str(tmp_path / "ada.zip"))
    assert done.returncode == 0 and zipfile.is_zipfile(tmp_path / "ada.zip"), done.stderr
    done = cli("users", "delete", "ada")
    assert done.returncode == 1 and "--confirm ada" in done.stderr
    done = cli("users", "delete", "ada", "--confirm", "ada")
    assert done.returncode == 0 and "Rows removed: users 1" in done.stdout, done.stderr
    done = cli("restore", str(tmp_path / "b"))
    assert done.returncode == 0 and "row counts verified (users 1" in done.stdout, done.stderr
    done = cli("restore", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "no manifest.json" in done.stderr
