"""Run the suite against PostgreSQL: ``pytest --database=postgresql`` (the default is SQLite).

The session starts ONE throwaway server (initdb into a temp folder, 127.0.0.1 on a free
port, a random password, fsync off) and deletes it at the end. Every test then gets
its own database, named after the folder the test would have put its SQLite file in,
so two fixtures of one test that share a data folder share a database, as they share
the file under SQLite. After each test the databases of folders inside its ``tmp_path``
are dropped; those of wider fixtures (``tmp_path_factory``) live until the server goes.

The server's address travels in the ``COURSE_TEST_POSTGRES`` environment variable,
so a process a test starts (tests/test_recovery.py kills one mid-job) finds the same
server and, from the same folder, the same database.

    from postgres_server import database_url_for
    database_url_for(tmp_path / "data")   # None under SQLite, else a postgresql+psycopg:// URL
"""
from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ports import free_port

PG_BIN = Path(os.environ.get("POSTGRES_BIN_DIR", "/usr/lib/postgresql/15/bin"))
SERVER_ENV = "COURSE_TEST_POSTGRES"
"""Holds ``postgresql+psycopg://user:password@127.0.0.1:port`` while the PostgreSQL pass runs."""
DATABASE_PREFIX = "course_test_"
_SUPERUSER = "course_admin"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--database``: which database the tests that store data run on."""
    parser.addoption("--database", choices=("sqlite", "postgresql"), default="sqlite",
                     help="run the database tests on SQLite files (default) or on a throwaway "
                          f"PostgreSQL server started from {PG_BIN}")


DATABASE_FIXTURES = frozenset({"settings", "db_url"})
"""Every fixture that stores data builds on one of these; a test using one is marked ``database``."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that store data; under ``--database=postgresql`` run only those.

    A test (or module, with ``pytestmark``) that builds its settings itself carries the
    ``database`` marker explicitly."""
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)
    if config.getoption("--database") != "postgresql":
        return
    # Browser tests drive the same server code the AppTest page tests run on PostgreSQL; the
    # browser adds nothing database-specific, only minutes.
    def repeated(item: pytest.Item) -> bool:
        return item.get_closest_marker("database") is not None and item.get_closest_marker("browser") is None

    kept = [item for item in items if repeated(item)]
    dropped = [item for item in items if not repeated(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_configure(config: pytest.Config) -> None:
    """Refuse ``--database=postgresql`` up front, with what to install, when the server is missing."""
    if config.getoption("--database") == "postgresql":
        missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).is_file()]
        if missing:
            raise pytest.UsageError(
                f"--database=postgresql needs the PostgreSQL server binaries ({', '.join(missing)} "
                f"not found in {PG_BIN}): install them with `scripts/system-deps.sh test`, or point "
                "POSTGRES_BIN_DIR at the folder that holds initdb and pg_ctl")


def database_url_for(folder: Path) -> str | None:
    """The URL of this folder's own database on the test server (created if missing); None under SQLite."""
    server = os.environ.get(SERVER_ENV)
    if not server:
        return None
    folder = Path(folder).resolve()
    name = DATABASE_PREFIX + hashlib.sha1(str(folder).encode()).hexdigest()[:24]
    import psycopg
    from psycopg import errors

    with psycopg.connect(_conninfo(server, "postgres"), autocommit=True) as conn:
        try:
            conn.execute(f'CREATE DATABASE "{name}"')
        except errors.DuplicateDatabase:
            pass  # an earlier fixture, or the process the test started, made it
    _made[name] = folder
    return f"{server}/{name}"


_made: dict[str, Path] = {}
"""Databases this process handed out, by name, with the folder each belongs to."""


def _conninfo(server: str, database: str) -> str:
    # psycopg wants a libpq URL, without SQLAlchemy's "+psycopg" driver suffix.
    return server.replace("postgresql+psycopg://", "postgresql://", 1) + "/" + database


def _drop_databases_under(server: str, folder: Path) -> None:
    """Drop the databases handed out for folders inside ``folder``."""
    folder = folder.resolve()
    names = [name for name, owner in _made.items() if owner.is_relative_to(folder)]
    if not names:
        return
    import psycopg

    with psycopg.connect(_conninfo(server, "postgres"), autocommit=True) as conn:
        for name in names:
            # FORCE: an engine a test left open must not keep its database alive.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            del _made[name]


class _Server:
    """A PostgreSQL cluster in a temp folder, run as the ``postgres`` user when we are root."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="course-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.password = secrets.token_hex(16)
        # initdb refuses to run as root; the cluster belongs to the postgres account then.
        self.owner = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("the tests run as root, where initdb refuses to work, and there is no "
                                   "'postgres' account to run it as: install the postgresql package "
                                   "(scripts/system-deps.sh test) or run the tests as a normal user") from None
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.owner is not None:
            command = ["setpriv", f"--reuid={self.owner.pw_uid}", f"--regid={self.owner.pw_gid}",
                       "--init-groups", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}{tail}")

    def start(self) -> str:
        """initdb and start; return the server's URL (no database part)."""
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self.owner is not None:
            os.chown(pwfile, self.owner.pw_uid, self.owner.pw_gid)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", _SUPERUSER, f"--pwfile={pwfile}",
                  "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        pwfile.unlink()
        options = " ".join((
            "-c listen_addresses=127.0.0.1", f"-p {self.port}", f"-k {self.root}",
            # A throwaway cluster: durability only costs time here.
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=300",
        ))
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return f"postgresql+psycopg://{_SUPERUSER}:{self.password}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server (fast: open connections are cut) and delete its folder."""
        try:
            if (self.data / "postmaster.pid").is_file():
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def postgres_server(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Under ``--database=postgresql``, the running server's URL for the whole session; else None."""
    if request.config.getoption("--database") != "postgresql":
        yield None
        return
    server = _Server()
    started = time.monotonic()
    try:
        url = server.start()
        os.environ[SERVER_ENV] = url
        print(f"\nPostgreSQL test server on port {server.port} ({time.monotonic() - started:.1f}s to start)")
        yield url
    finally:
        os.environ.pop(SERVER_ENV, None)
        server.stop()


@pytest.fixture(autouse=True)
def _drop_a_tests_databases(request: pytest.FixtureRequest, postgres_server: str | None) -> Iterator[None]:
    """After a test, drop the databases that lived in its ``tmp_path`` (the disk stays small)."""
    yield
    # funcargs holds every fixture the test used, tmp_path too when only a fixture asked for it.
    tmp_path = getattr(request.node, "funcargs", {}).get("tmp_path")
    if postgres_server is not None and tmp_path is not None:
        _drop_databases_under(postgres_server, tmp_path)
