"""The platform's settings: one declaration per setting, read from environment variables.

Each field of :class:`Settings` is declared once with :func:`setting`: its environment variable,
default, allowed values or bounds, and the line the README's settings table shows. Reading,
checking and the README table (``python -m config readme``) all come from those declarations.
Every default makes ``make run`` work on a fresh machine: an SQLite file in ``./data``, content
from this repository, a local pool of two sandboxed workers.

    from config import get_settings
    settings = get_settings()          # cached; reads the environment once
    Settings.from_env({"DATABASE_URL": "sqlite:///x.db"})   # explicit, for tests
"""
from __future__ import annotations

import dataclasses
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent


class SettingsError(ValueError):
    """An environment variable holds a value the platform cannot use."""


MAX_CHECKER_WORKERS = 32
"""Slots one grading engine runs: 64 uids per engine, two per slot (the learner's process and
the judge: ``sandbox.warm.SLOTS_PER_INSTANCE``; tests/test_settings_and_docs.py ties the two)."""

_BOOLEANS = {"yes": True, "true": True, "1": True, "on": True, "no": False, "false": False, "0": False, "off": False}


@dataclass(frozen=True)
class Declaration:
    """What the platform knows about one setting besides its name, type and default."""

    env: str
    """The environment variable that sets it."""
    meaning: str
    """One line for the README's table."""
    shown_default: str
    """The default as the README shows it (a path or interpreter differs per machine)."""
    choices: tuple[str, ...] | None = None
    bounds: tuple[int, int] | None = None
    """Inclusive range of a whole-number setting."""
    bounds_hint: str = ""
    """What to do when out of bounds, if the bare range does not say it."""


def setting(env: str, default: Any, meaning: str, *, shown: str | None = None,
            choices: tuple[str, ...] | None = None, bounds: tuple[int, int] | None = None,
            bounds_hint: str = "") -> Any:
    """Declare one setting: a dataclass field carrying its :class:`Declaration`."""
    shown_default = shown if shown is not None else f"`{_show(default)}`"
    return dataclasses.field(default=default, metadata={"setting": Declaration(
        env, meaning, shown_default, choices, bounds, bounds_hint)})


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True)
class Settings:
    """Platform configuration; ``declarations()`` lists each field's environment variable."""

    data_dir: Path = setting(
        "COURSE_DATA_DIR", PROJECT_ROOT / "data", "database file, corpus, checker workspaces", shown="`./data`")
    database_url: str = setting(
        "DATABASE_URL", "", "any SQLAlchemy URL (PostgreSQL: `postgresql+psycopg://…`)",
        shown="`sqlite:///<data>/course.db`")
    content_dir: Path = setting(
        "COURSE_CONTENT_DIR", PROJECT_ROOT, "folder holding `lessons/` and `exercises/`", shown="this repository")
    checker_backend: str = setting(
        "CHECKER_BACKEND", "local", "`local`: worker pool inside the app process; `celery`: Celery workers "
        "(`python -m grading.worker`) through Redis (see Deployment)", choices=("local", "celery"))
    broker_url: str = setting(
        "CELERY_BROKER_URL", "redis://127.0.0.1:6379/0", "the Redis broker shared by the app and the Celery workers")
    checker_gpu: str = setting(
        "CHECKER_GPU", "auto", "`auto`: use a GPU when there is one; `yes`: this worker must have one; `no`: never "
        "(a GPU worker runs `gpu-preferred` exercises on their GPU profile)", choices=("auto", "yes", "no"))
    checker_workers: int = setting(
        "CHECKER_WORKERS", 2, "submissions graded at once", bounds=(1, MAX_CHECKER_WORKERS))
    checker_long_slots: int = setting(
        "CHECKER_LONG_SLOTS", 1, "of the local pool's slots, how many may run long jobs (training labs, runs on a "
        "learner's own text); the others take only short work, so a quick Submit never waits behind training",
        bounds=(1, MAX_CHECKER_WORKERS))
    checker_mode: str = setting(
        "CHECKER_MODE", "warm", "`warm`: sandboxed zygotes fork a child per job (needs root); `cold`: a fresh "
        "sandboxed pytest per job (warm falls back to cold where it cannot run)", choices=("warm", "cold"))
    checker_sandbox: str = setting(
        "CHECKER_SANDBOX", "bwrap", "`none` runs learner code unsandboxed: only for one trusted user",
        choices=("bwrap", "none"))
    allow_unsandboxed: str = setting(
        "CHECKER_ALLOW_UNSANDBOXED", "no", "must be `yes` for `CHECKER_SANDBOX=none` (an admin's explicit opt-out)",
        choices=("yes", "no"))
    checker_python: str = setting(
        "CHECKER_PYTHON", sys.executable, "the Python (with torch) that runs pytest", shown="the app's interpreter")
    max_code_bytes: int = setting(
        "MAX_CODE_BYTES", 64 * 1024, "largest accepted submission, in bytes of UTF-8", bounds=(1024, 16 * 1024 * 1024))
    backup_every_hours: int = setting(
        "BACKUP_EVERY_HOURS", 0, "the app backs up into `<data>/backups` this often; 0: none (use cron, see Backups)",
        bounds=(0, 24 * 365), bounds_hint="use hours from 1 to 8760, or 0 for none")
    backup_keep: int = setting(
        "BACKUP_KEEP", 7, "scheduled backups kept; older ones are deleted", bounds=(1, 10000),
        bounds_hint="keep at least 1 backup")
    session_days: int = setting(
        "SESSION_DAYS", 14, "a log-in lasts this many days after its last use", bounds=(1, 365),
        bounds_hint="use a number of days from 1 to 365")
    session_cookie_secure: bool = setting(
        "SESSION_COOKIE_SECURE", False, "`yes` marks the log-in cookie Secure (HTTPS only): set it behind an "
        "HTTPS proxy")
    models_autobuild: bool = setting(
        "MODELS_AUTOBUILD", True, "the app builds the course's missing pre-trained models in the background at "
        "start (a few CPU minutes, once; `python -m courseware models build` does it by hand)")
    shakespeare_url: str = setting(
        "SHAKESPEARE_URL", "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "where the corpus is downloaded from (sha256 verified)", shown="public char-rnn copy")

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
        for name, declared in declarations().items():
            raw = env.get(declared.env)
            if raw is None or raw == "":
                continue
            values[name] = _parse(declared, getattr(cls, name), raw)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise SettingsError naming the variable when a value is out of range."""
        for name, declared in declarations().items():
            value = getattr(self, name)
            if declared.choices is not None and value not in declared.choices:
                options = ", ".join(f"'{c}'" for c in declared.choices[:-1]) + f" or '{declared.choices[-1]}'"
                raise SettingsError(f"{declared.env}={value!r}: use {options}")
            if declared.bounds is not None and not declared.bounds[0] <= value <= declared.bounds[1]:
                low, high = declared.bounds
                raise SettingsError(f"{declared.env}={value}: "
                                    + (declared.bounds_hint or f"use a number from {low} to {high}"))
        if self.checker_backend == "celery" and not self.broker_url.startswith(("redis://", "rediss://")):
            raise SettingsError(f"CELERY_BROKER_URL={self.broker_url!r}: use a Redis URL, e.g. "
                                "redis://127.0.0.1:6379/0")
        if self.checker_long_slots > self.checker_workers:
            raise SettingsError(f"CHECKER_LONG_SLOTS={self.checker_long_slots} is more than CHECKER_WORKERS="
                                f"{self.checker_workers}: use at most {self.checker_workers}")
        if self.checker_sandbox == "none" and self.allow_unsandboxed != "yes":
            raise SettingsError("CHECKER_SANDBOX=none runs learners' code with no sandbox. Only for a single "
                                "trusted user: also set CHECKER_ALLOW_UNSANDBOXED=yes to confirm.")


def _parse(declared: Declaration, default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        if raw.strip().lower() not in _BOOLEANS:
            raise SettingsError(f"{declared.env}={raw!r}: use 'yes' or 'no'")
        return _BOOLEANS[raw.strip().lower()]
    if isinstance(default, Path):
        return Path(raw).expanduser().resolve()
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{declared.env}={raw!r} is not a whole number; set it to e.g. {default}") from None
    return raw


@functools.lru_cache(maxsize=1)
def declarations() -> dict[str, Declaration]:
    """Field name → its declaration, in declaration order."""
    return {f.name: f.metadata["setting"] for f in dataclasses.fields(Settings)}


def readme_table() -> str:
    """The README's settings table, as the declarations give it."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{d.env}` | {d.shown_default} | {d.meaning} |" for d in declarations().values()]
    return "\n".join(rows)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings.from_env()


if __name__ == "__main__":
    if sys.argv[1:] != ["readme"]:
        sys.exit("usage: python -m config readme   # print the README's settings table")
    print(readme_table())
