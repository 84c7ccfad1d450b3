"""Backups taken while the app serves, and restores that refuse to do harm.

    backup(settings)                          # → <data>/backups/backup-20261204-170102/
    restore(settings, Path("…/backup-…"))      # refuses while the app runs against the target
    prune(settings.data_dir / "backups", keep=7)

A backup is a folder: the copy (``course.db`` for SQLite, ``course.dump`` in pg_dump's custom
format for PostgreSQL) and ``manifest.json`` (schema revision, rows per table, content version,
time, size and SHA-256 of the copy). Both are written under temporary names and renamed when
complete, so a folder with a manifest is a whole backup and anything else is not one.

SQLite is copied with its online backup API in one step: one read transaction, so the copy is
the database as of one commit while the app and workers keep writing (never a file copy of a
live WAL database). PostgreSQL is dumped by ``pg_dump`` inside an exported snapshot, the same
snapshot the row counts are taken in.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from config import Settings
from db.engine import make_engine
from db.in_use import sqlite_file, users_of
from db.migrate import current_revision, head_revision, upgrade
from db.models import Base

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "course.db"
PG_FILE = "course.dump"
DISCARD_WORD = "discard-current-data"
"""What an operator types to restore over a database that is in use: its current data is lost."""
PG_TOOLS_HINT = ("install PostgreSQL's client tools of the server's version (Debian: apt-get install "
                 "postgresql-client) so that pg_dump, pg_restore and psql are on PATH")


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says what to do."""


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` records about one backup."""

    format: int
    database: str
    """``sqlite`` or ``postgresql``: restores go to a database of the same kind."""
    file: str
    schema_revision: str | None
    counts: dict[str, int]
    """Rows per table in the copy, as of the moment it was taken."""
    content_version: str
    """SHA-256 (first 16 hex) of the lessons and exercises the platform served."""
    created_at: str
    size_bytes: int
    sha256: str
    seconds: float

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        """The manifest of the backup in ``folder``; BackupError when it is missing or not ours."""
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupError(f"{folder} is not a complete backup: it has no {MANIFEST} (a backup that was "
                              "interrupted has none). Pick another backup folder.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{path} is not a manifest this platform wrote ({exc}).") from None
        if manifest.format != FORMAT:
            raise BackupError(f"{path} has backup format {manifest.format}; this version reads format {FORMAT}.")
        return manifest


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did."""

    target: str
    from_revision: str | None
    to_revision: str
    counts: dict[str, int]


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend!r}")
    return backend


def _sqlite_path(url: str) -> Path:
    path = sqlite_file(url)
    if path is None:
        raise BackupError(f"{url} is not an SQLite file; nothing to back up")
    return path


def content_version(content_dir: Path) -> str:
    """A short hash of every lesson and exercise file (paths and bytes), for the manifest."""
    digest = hashlib.sha256()
    for top in ("lessons", "exercises"):
        for path in sorted((content_dir / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(content_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[str]:
    return sorted(Base.metadata.tables)


def _sqlite_counts(path: Path) -> tuple[str | None, dict[str, int]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _tables() if t in present}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone() \
            if "alembic_version" in present else None
    return (revision[0] if revision else None), counts


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore/psql, with the password in the environment."""
    parsed: URL = make_url(url)
    args = [f"--dbname={parsed.database}"]
    if parsed.host:
        args.append(f"--host={parsed.host}")
    if parsed.port:
        args.append(f"--port={parsed.port}")
    if parsed.username:
        args.append(f"--username={parsed.username}")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    host = parsed.query.get("host")
    if host and not parsed.host:
        args.append(f"--host={host if isinstance(host, str) else host[0]}")
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found: {PG_TOOLS_HINT}")
    return found


def _run(argv: list[str], env: dict[str, str], what: str, stdin: bytes | None = None) -> None:
    done = subprocess.run(argv, env=env, input=stdin, capture_output=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.decode(errors='replace').strip()[-2000:]}")


def default_backup_dir(settings: Settings) -> Path:
    """Where backups go unless a path is given: ``<data>/backups``."""
    return settings.data_dir / "backups"


def backup(settings: Settings, dest: Path | None = None) -> tuple[Path, Manifest]:
    """Take a consistent backup of the settings' database into ``dest`` (a new folder; default
    ``<data>/backups/backup-<UTC time>``) and return the folder and its manifest."""
    url = settings.sqlalchemy_url
    kind = _kind(url)
    started = time.monotonic()
    now = datetime.now(timezone.utc)
    if dest is None:
        dest = default_backup_dir(settings) / f"backup-{now:%Y%m%d-%H%M%S-%f}"
    dest = dest.expanduser().resolve()
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} already exists and is not empty; give a new folder for the backup")
    dest.mkdir(parents=True, exist_ok=True)
    name = SQLITE_FILE if kind == "sqlite" else PG_FILE
    partial = dest / f".{name}.partial"
    try:
        if kind == "sqlite":
            revision, counts = _backup_sqlite(_sqlite_path(url), partial)
        else:
            revision, counts = _backup_postgres(url, partial)
        os.replace(partial, dest / name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    manifest = Manifest(format=FORMAT, database=kind, file=name, schema_revision=revision, counts=counts,
                        content_version=content_version(settings.content_dir),
                        created_at=now.isoformat(timespec="seconds"), size_bytes=(dest / name).stat().st_size,
                        sha256=_sha256(dest / name), seconds=round(time.monotonic() - started, 3))
    tmp = dest / f".{MANIFEST}.partial"
    tmp.write_text(json.dumps(asdict(manifest), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, dest / MANIFEST)  # last: a folder with a manifest is a complete backup
    return dest, manifest


def _backup_sqlite(source: Path, target: Path) -> tuple[str | None, dict[str, int]]:
    if not source.is_file():
        raise BackupError(f"there is no database at {source} yet; start the app once (make run) first")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, i.e. one read transaction and one snapshot; in
        # steps, every commit by the app in between would restart the copy.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()
    return _sqlite_counts(target)


def _backup_postgres(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    pg_dump = _tool("pg_dump")
    args, env = _libpq(url)
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            present = set(conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
            counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                      for t in _tables() if t in present}
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none() \
                if "alembic_version" in present else None
            # pg_dump reads the very snapshot the counts came from, while this transaction holds it.
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner", "--no-privileges",
                  f"--file={target}", *args], env, "pg_dump")
    finally:
        engine.dispose()
    return revision, counts


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest complete backups in ``folder``; returns what was removed."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    complete = sorted((p for p in folder.glob("backup-*") if (p / MANIFEST).is_file()), key=lambda p: p.name)
    removed = complete[:-keep]
    for path in removed:
        shutil.rmtree(path)
    return removed


# --- restore ---------------------------------------------------------------------------------

def restore(settings: Settings, source: Path, *, force: str | None = None) -> RestoreReport:
    """Replace the settings' database with the backup in ``source``, migrate it to this version's
    schema and check its row counts against the manifest.

    Refuses while an app or worker is using the target, unless ``force`` is ``DISCARD_WORD``
    (what the target holds now is then lost). The target is only replaced once the restored
    copy has been migrated and verified (SQLite), or inside one transaction (PostgreSQL).
    """
    source = source.expanduser().resolve()
    manifest = Manifest.read(source)
    url = settings.sqlalchemy_url
    kind = _kind(url)
    if manifest.database != kind:
        raise BackupError(f"this backup is of a {manifest.database} database and the target ({kind}) is not; "
                          f"restore it into a {manifest.database} database (set DATABASE_URL)")
    copy = source / manifest.file
    if not copy.is_file() or _sha256(copy) != manifest.sha256:
        raise BackupError(f"{copy} is missing or does not match the SHA-256 in its manifest: the backup is "
                          "damaged; use another one")
    known = _known_revisions()
    if manifest.schema_revision is not None and manifest.schema_revision not in known:
        raise BackupError(f"the backup's schema revision {manifest.schema_revision} is unknown to this version "
                          "(a backup from a newer version?); restore it with that version")
    if force not in (None, DISCARD_WORD):
        raise BackupError(f"to restore over a database in use, confirm with the word {DISCARD_WORD!r}")
    busy = users_of(url)
    if busy and force != DISCARD_WORD:
        raise BackupError(f"refusing to restore: {busy}. Stop the app and workers first, or confirm with "
                          f"--force {DISCARD_WORD} (everything the current database holds is lost)")
    if kind == "sqlite":
        counts = _restore_sqlite(copy, _sqlite_path(url), manifest)
    else:
        counts = _restore_postgres(copy, url, manifest)
    return RestoreReport(target=make_url(url).render_as_string(hide_password=True),
                         from_revision=manifest.schema_revision, to_revision=head_revision(), counts=counts)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _verify(engine: Engine, manifest: Manifest) -> dict[str, int]:
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in manifest.counts}
    wrong = {t: (counts[t], n) for t, n in manifest.counts.items() if counts[t] != n}
    if wrong:
        raise BackupError("the restored data does not match the backup's manifest: "
                          + ", ".join(f"{t} has {got} rows, expected {want}" for t, (got, want) in wrong.items()))
    return counts


def _restore_sqlite(copy: Path, target: Path, manifest: Manifest) -> dict[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, staged_name = tempfile.mkstemp(prefix=".restore-", suffix=".db", dir=target.parent)
    os.close(fd)
    staged = Path(staged_name)
    try:
        shutil.copyfile(copy, staged)
        with sqlite3.connect(staged) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{copy} fails SQLite's integrity check; use another backup")
        engine = make_engine(f"sqlite:///{staged}")
        try:
            upgrade(engine)
            counts = _verify(engine, manifest)
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
        for suffix in ("-wal", "-shm"):  # the old database's journal must not be replayed over the new one
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staged, target)
        for suffix in ("-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)
        raise
    return counts


def _restore_postgres(copy: Path, url: str, manifest: Manifest) -> dict[str, int]:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    args, env = _libpq(url)
    script = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(copy)],
                            env=env, capture_output=True)
    if script.returncode != 0:
        raise BackupError(f"pg_restore could not read {copy}: {script.stderr.decode(errors='replace').strip()}")
    # One transaction: the old schema is dropped and the backup loaded together, or neither.
    prologue = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
    _run([psql, "--quiet", "--no-psqlrc", "--single-transaction", "-v", "ON_ERROR_STOP=1", "--file=-", *args],
         env, "loading the backup with psql", stdin=prologue + script.stdout)
    engine = make_engine(url)
    try:
        upgrade(engine)
        return _verify(engine, manifest)
    finally:
        engine.dispose()
