"""One typed settings object for the whole platform, read from environment variables.

Every field has a default that makes ``make run`` work on a fresh machine: an SQLite
file in ``./data``, content from this repository, a local pool of two sandboxed workers.

    from courseware.settings import get_settings
    settings = get_settings()          # cached; reads the environment once
    Settings.from_env({"DATABASE_URL": "sqlite:///x.db"})   # explicit, for tests
"""
from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """An environment variable holds a value the platform cannot use."""


MAX_CHECKER_WORKERS = 32
"""Slots one grading engine runs: 64 uids per engine, two per slot (the learner's process and
the judge: checker.warm.SLOTS_PER_INSTANCE; a test ties the two)."""

@dataclass(frozen=True)
class Settings:
    """Platform configuration. Each field names the environment variable that sets it."""

    data_dir: Path = PROJECT_ROOT / "data"
    """COURSE_DATA_DIR: database file, downloaded corpora and checker workspaces live here."""
    database_url: str = ""
    """DATABASE_URL: SQLAlchemy URL; empty means ``sqlite:///<data_dir>/course.db``."""
    content_dir: Path = PROJECT_ROOT
    """COURSE_CONTENT_DIR: folder holding ``lessons/`` and ``exercises/``."""
    checker_backend: str = "local"
    """CHECKER_BACKEND: ``local`` runs jobs on a worker pool inside the app process; ``celery`` sends
    them to Celery workers (``python -m checker.worker``) through the broker at CELERY_BROKER_URL."""
    broker_url: str = "redis://127.0.0.1:6379/0"
    """CELERY_BROKER_URL: the Redis broker Celery workers and the app share (CHECKER_BACKEND=celery)."""
    checker_gpu: str = "auto"
    """CHECKER_GPU: ``auto`` (use a GPU when the machine has one), ``yes`` (this worker must have one)
    or ``no``. A GPU worker runs ``gpu-preferred`` exercises on their GPU profile."""
    checker_workers: int = 2
    """CHECKER_WORKERS: how many submissions the local pool grades at once."""
    checker_mode: str = "warm"
    """CHECKER_MODE: ``warm`` (sandboxed zygotes forking a child per job; needs root) or ``cold``
    (a fresh sandboxed ``python -m pytest`` per job). Warm falls back to cold where it cannot run."""
    checker_sandbox: str = "bwrap"
    """CHECKER_SANDBOX: ``bwrap`` (bubblewrap namespaces) or ``none`` (single-user dev only)."""
    allow_unsandboxed: str = "no"
    """CHECKER_ALLOW_UNSANDBOXED: ``yes`` confirms CHECKER_SANDBOX=none (an admin's explicit opt-out)."""
    checker_python: str = sys.executable
    """CHECKER_PYTHON: interpreter that runs pytest on learner code (must have torch)."""
    max_code_bytes: int = 64 * 1024
    """MAX_CODE_BYTES: largest submission accepted, in bytes of UTF-8."""
    api_host: str = "127.0.0.1"
    """API_HOST: address the learner API (used by the command-line client) listens on."""
    api_port: int = 8502
    """API_PORT: port of the learner API served beside the app; 0 turns it off."""
    backup_every_hours: int = 0
    """BACKUP_EVERY_HOURS: the app takes a backup into ``<data>/backups`` this often; 0 (default) leaves
    backups to ``python -m portal backup`` run from cron or a systemd timer."""
    backup_keep: int = 7
    """BACKUP_KEEP: how many scheduled backups are kept (older ones are deleted after each new one)."""
    session_days: int = 14
    """SESSION_DAYS: a browser's log-in lasts this many days after its last use (``portal.browser_session``)."""
    session_cookie_secure: bool = False
    """SESSION_COOKIE_SECURE: ``yes`` marks the log-in cookie Secure (sent over HTTPS only): set it
    when the app is served behind an HTTPS reverse proxy."""
    shakespeare_url: str = (
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
    )
    """SHAKESPEARE_URL: public source of the tiny Shakespeare corpus (checksum verified)."""

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL actually used (the SQLite default filled in)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'course.db'}"

    @property
    def workspaces_dir(self) -> Path:
        """Where the checker builds one private folder per job."""
        return self.data_dir / "workspaces"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from ``env`` (default ``os.environ``); bad values raise SettingsError."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f, var in _ENV_NAMES.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            default = getattr(cls, f)
            if isinstance(default, bool):
                if raw.strip().lower() not in _BOOLEANS:
                    raise SettingsError(f"{var}={raw!r}: use 'yes' or 'no'")
                values[f] = _BOOLEANS[raw.strip().lower()]
            elif isinstance(default, Path):
                values[f] = Path(raw).expanduser().resolve()
            elif isinstance(default, int):
                try:
                    values[f] = int(raw)
                except ValueError:
                    raise SettingsError(f"{var}={raw!r} is not a whole number; set it to e.g. 2") from None
            else:
                values[f] = raw
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise SettingsError naming the variable when a value is out of range."""
        if self.checker_backend not in {"local", "celery"}:
            raise SettingsError(f"CHECKER_BACKEND={self.checker_backend!r}: use 'local' or 'celery'")
        if self.checker_backend == "celery" and not self.broker_url.startswith(("redis://", "rediss://")):
            raise SettingsError(f"CELERY_BROKER_URL={self.broker_url!r}: use a Redis URL, e.g. "
                                "redis://127.0.0.1:6379/0")
        if self.checker_gpu not in {"auto", "yes", "no"}:
            raise SettingsError(f"CHECKER_GPU={self.checker_gpu!r}: use 'auto', 'yes' or 'no'")
        if not 0 <= self.api_port <= 65535:
            raise SettingsError(f"API_PORT={self.api_port}: use a port number, or 0 to turn the API off")
        if self.checker_mode not in {"warm", "cold"}:
            raise SettingsError(f"CHECKER_MODE={self.checker_mode!r}: use 'warm' or 'cold'")
        if self.checker_sandbox == "none" and self.allow_unsandboxed != "yes":
            raise SettingsError("CHECKER_SANDBOX=none runs learners' code with no sandbox. Only for a single "
                                "trusted user: also set CHECKER_ALLOW_UNSANDBOXED=yes to confirm.")
        if self.checker_sandbox not in {"bwrap", "none"}:
            raise SettingsError(f"CHECKER_SANDBOX={self.checker_sandbox!r}: use 'bwrap' or 'none'")
        if not 1 <= self.checker_workers <= MAX_CHECKER_WORKERS:
            raise SettingsError(f"CHECKER_WORKERS={self.checker_workers}: use a number from 1 to {MAX_CHECKER_WORKERS}")
        if not 0 <= self.backup_every_hours <= 24 * 365:
            raise SettingsError(f"BACKUP_EVERY_HOURS={self.backup_every_hours}: use hours from 1 to 8760, or 0 for none")
        if not 1 <= self.backup_keep <= 10000:
            raise SettingsError(f"BACKUP_KEEP={self.backup_keep}: keep at least 1 backup")
        if not 1 <= self.session_days <= 365:
            raise SettingsError(f"SESSION_DAYS={self.session_days}: use a number of days from 1 to 365")
        if self.max_code_bytes < 1024:
            raise SettingsError("MAX_CODE_BYTES must be at least 1024")


_BOOLEANS = {"yes": True, "true": True, "1": True, "on": True, "no": False, "false": False, "0": False, "off": False}

_ENV_NAMES = {
    "data_dir": "COURSE_DATA_DIR",
    "database_url": "DATABASE_URL",
    "content_dir": "COURSE_CONTENT_DIR",
    "checker_backend": "CHECKER_BACKEND",
    "broker_url": "CELERY_BROKER_URL",
    "checker_gpu": "CHECKER_GPU",
    "api_host": "API_HOST",
    "api_port": "API_PORT",
    "checker_workers": "CHECKER_WORKERS",
    "checker_mode": "CHECKER_MODE",
    "checker_sandbox": "CHECKER_SANDBOX",
    "allow_unsandboxed": "CHECKER_ALLOW_UNSANDBOXED",
    "checker_python": "CHECKER_PYTHON",
    "max_code_bytes": "MAX_CODE_BYTES",
    "backup_every_hours": "BACKUP_EVERY_HOURS",
    "backup_keep": "BACKUP_KEEP",
    "session_days": "SESSION_DAYS",
    "session_cookie_secure": "SESSION_COOKIE_SECURE",
    "shakespeare_url": "SHAKESPEARE_URL",
}
assert set(_ENV_NAMES) == {f.name for f in fields(Settings)}, "every setting needs an env name"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings.from_env()
