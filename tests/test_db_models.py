"""Engine settings, the schema, and agreement between the models and the migrations."""
from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

import db.__main__ as cli
import db.engine
import config as settings_module
from db.engine import make_engine, session_factory
from db.migrate import alembic_config, current_revision, head_revision, upgrade
from db.models import Base, Submission, TestResult, utcnow
from db.submissions import create_submission

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


def test_sqlite_engine_creates_the_folder_and_sets_pragmas(tmp_path: Path) -> None:
    # A SQLite file whatever --database says: these pragmas are the SQLite engine's own.
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'course.db'}")
    try:
        with engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 30000
            assert pragma("synchronous") == 1  # NORMAL
        assert Path(engine.url.database or "").parent.is_dir()
    finally:
        engine.dispose()


def test_other_urls_pass_through_with_pre_ping(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(db.engine, "create_engine", lambda url, **kw: seen.update(url=url, **kw))
    make_engine("postgresql+psycopg://course@db.example/course")
    assert seen == {"url": "postgresql+psycopg://course@db.example/course", "pool_pre_ping": True}


def test_session_factory_keeps_objects_readable_after_commit(db_sessions, learner_id) -> None:
    with db_sessions() as session:
        sub = create_submission(session, user_id=learner_id, exercise_id="x", mode="run", code="")
        session.commit()
        # expire_on_commit=False: no reload needed, so this works after the session closed.
    assert sub.status == "queued"


def test_models_and_migrations_agree(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_constraint_and_index_names_follow_the_convention(db_engine: Engine) -> None:
    # compare_metadata does not look at CHECK constraints or names on SQLite; a
    # later migration has to find them by these names, so compare them too.
    inspector = inspect(db_engine)
    for table in Base.metadata.sorted_tables:
        reflected = {
            "check": {c["name"] for c in inspector.get_check_constraints(table.name)},
            "unique": {c["name"] for c in inspector.get_unique_constraints(table.name)},
            "fk": {c["name"] for c in inspector.get_foreign_keys(table.name)},
            # PostgreSQL also lists the index behind each unique constraint; it is no index of ours.
            "index": {i["name"] for i in inspector.get_indexes(table.name) if not i.get("duplicates_constraint")},
        }
        declared = {
            "check": {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"},
            "unique": {c.name for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"},
            "fk": {c.name for c in table.foreign_key_constraints},
            "index": {i.name for i in table.indexes},
        }
        assert reflected == declared, table.name


def test_migration_renders_for_postgresql() -> None:
    config = alembic_config("postgresql://course@localhost/course")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)  # offline: SQL text, no server needed
    sql = config.output_buffer.getvalue()
    assert "TIMESTAMP WITH TIME ZONE" in sql
    assert "CONSTRAINT ck_submissions_status CHECK" in sql
    assert "is_active BOOLEAN DEFAULT true NOT NULL" in sql


def test_upgrade_reaches_head_and_is_safe_to_repeat(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(db_url)  # by URL, as the CLI does
        upgrade(engine)  # and again, as every app start does
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_concurrent_upgrades_of_a_fresh_file_all_succeed(db_url: str) -> None:
    # Several app processes starting at once must not trip over each other's CREATE TABLE.
    engines = [make_engine(db_url) for _ in range(6)]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            upgrade(engine)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == []
        assert current_revision(engines[0]) == head_revision()
        with engines[0].connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    finally:
        for e in engines:
            e.dispose()


def test_every_migration_downgrades_and_upgrades_again(db_engine: Engine) -> None:
    # One revision at a time down to nothing, then back to head: each downgrade undoes its
    # upgrade exactly, on whichever database the suite runs on (--database).
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    for below in [*revisions[1:], None]:
        with db_engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), "-1")
        assert current_revision(db_engine) == below
    assert inspect(db_engine).get_table_names() == ["alembic_version"]
    upgrade(db_engine)
    assert current_revision(db_engine) == head_revision()
    with db_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_a_failed_upgrade_leaves_no_half_built_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:  # squatter: the last table the migration creates
            conn.exec_driver_sql("CREATE TABLE test_results (x INTEGER)")
        with pytest.raises((OperationalError, ProgrammingError), match="already exists"):  # SQLite, PostgreSQL
            upgrade(engine)
        assert sorted(inspect(engine).get_table_names()) == ["test_results"]
        assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_datetimes_come_back_timezone_aware_utc(db_session: Session, learner_id: int) -> None:
    paris = timezone(timedelta(hours=2))
    created = datetime(2026, 3, 1, 14, 0, tzinfo=paris)
    sub = create_submission(db_session, user_id=learner_id, exercise_id="x", mode="run", code="")
    sub.created_at = created
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(Submission, sub.id)
    assert stored is not None
    assert stored.created_at == created
    assert stored.created_at.tzinfo == timezone.utc
    assert utcnow().tzinfo == timezone.utc


def test_naive_datetimes_are_refused(db_session: Session, learner_id: int) -> None:
    sub = create_submission(db_session, user_id=learner_id, exercise_id="x", mode="run", code="")
    sub.started_at = datetime(2026, 3, 1, 14, 0)
    with pytest.raises(Exception, match="naive datetime"):
        db_session.flush()


def test_foreign_keys_are_enforced(db_session: Session) -> None:
    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        create_submission(db_session, user_id=999, exercise_id="x", mode="run", code="")


def test_check_constraints_are_enforced(db_session: Session, learner_id: int) -> None:
    with pytest.raises(IntegrityError, match="ck_submissions_status"):
        db_session.execute(text("INSERT INTO submissions (user_id, exercise_id, mode, code, status, "
                                "created_at) VALUES (:u, 'x', 'run', '', 'done', '2026-01-01')"),
                           {"u": learner_id})


def test_deleting_a_submission_deletes_its_test_rows(db_session: Session, learner_id: int) -> None:
    sub = create_submission(db_session, user_id=learner_id, exercise_id="x", mode="run", code="")
    db_session.add(TestResult(submission_id=sub.id, name="t", visibility="public", outcome="passed"))
    db_session.commit()
    db_session.execute(text("DELETE FROM submissions WHERE id = :id"), {"id": sub.id})
    db_session.commit()
    assert db_session.scalars(select(TestResult)).all() == []


def test_cli_upgrade_then_current(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["current", "--url", db_url]) == 0
    # A SQLite file is not there yet; a PostgreSQL database is created empty by its owner.
    fresh = "no database yet" if db_url.startswith("sqlite") else "at revision none (never migrated)"
    assert fresh in capsys.readouterr().out
    assert cli.run(["upgrade", "--url", db_url]) == 0
    assert f"at revision {head_revision()} (head)" in capsys.readouterr().out
    assert cli.run(["current", "--url", db_url]) == 0
    assert f"at revision {head_revision()} (head)" in capsys.readouterr().out


def test_cli_defaults_to_the_platform_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "platform"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings_module.get_settings.cache_clear()
    try:
        assert cli.run(["upgrade"]) == 0
    finally:
        settings_module.get_settings.cache_clear()
    assert (tmp_path / "platform" / "course.db").is_file()
    assert f"platform/course.db: at revision {head_revision()} (head)" in capsys.readouterr().out


@pytest.mark.parametrize("url, expected", [
    ("not a url", "ArgumentError"),
    ("sqlite:////proc/no/such/place.db", "error: upgrade failed"),
])
def test_cli_errors_are_one_line_and_exit_1(url: str, expected: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["upgrade", "--url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: upgrade failed") and expected in err
    assert err.count("\n") == 1


def test_cli_current_reports_an_unmigrated_database(db_url: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:  # creates the file, no tables
        session.execute(text("SELECT 1"))
    engine.dispose()
    assert cli.run(["current", "--url", db_url]) == 0
    assert "at revision none (never migrated)" in capsys.readouterr().out
