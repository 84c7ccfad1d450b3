"""The tables, as SQLAlchemy 2.0 typed declarative models.

Every timestamp is a timezone-aware UTC ``datetime`` (``UTCDateTime`` restores the
zone SQLite forgets). Enumerations are short strings guarded by CHECK constraints,
so the same schema runs on SQLite and PostgreSQL without native ENUM types. The
naming convention gives every constraint a stable name, which Alembic needs to
alter or drop it later (SQLite batch mode and PostgreSQL alike).

Schema changes go through a migration in ``db/migrations/versions``; a test checks
that the migrations and these models agree.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean, CheckConstraint, Date, DateTime, Dialect, Float, ForeignKey, Index, Integer,
    MetaData, String, Text, TypeDecorator, UniqueConstraint, text, true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

USER_ROLES = ("learner", "lead", "admin")
COHORT_ROLES = ("learner", "lead")
PACINGS = ("weekly", "all-open")
MODES = ("run", "submit")
STATUSES = ("queued", "running", "passed", "failed", "error")
FINAL_STATUSES = ("passed", "failed", "error")
VISIBILITIES = ("public", "hidden")
OUTCOMES = ("passed", "failed", "error", "skipped")
ARTIFACT_KINDS = ("line", "heatmap", "text")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (the only zone the database holds)."""
    return datetime.now(timezone.utc)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """CHECK that ``column`` holds one of ``values``; named after the column."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so a naive value read back is UTC by construction; a naive
    value written is refused, because guessing its zone would silently shift it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one, e.g. db.models.utcnow()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite hands back without a zone."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class NulFreeText(TypeDecorator[str]):
    """Text with every NUL character stored as U+FFFD.

    PostgreSQL refuses NUL in text where SQLite keeps it, and learner code, its output or
    a text they hand in may hold one: replaced, it stores (and reads back) alike on both.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Replace NUL before storing."""
        return value.replace("\x00", "\ufffd") if value else value


class Base(DeclarativeBase):
    """Declarative base; its metadata carries the constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


def _user_fk() -> Any:
    # Deleting a user takes their work with them; accounts are normally deactivated instead.
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


class User(Base):
    """An account: a learner, a cohort lead or an admin."""

    __tablename__ = "users"
    __table_args__ = (_one_of("role", USER_ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="learner", server_default="learner")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Consecutive failed logins; reset by a successful one."""
    last_failed_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cohort(Base):
    """A group following one track together from a start date."""

    __tablename__ = "cohorts"
    __table_args__ = (_one_of("pacing", PACINGS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    track_id: Mapped[str] = mapped_column(String(128))
    start_date: Mapped[date] = mapped_column(Date)
    pacing: Mapped[str] = mapped_column(String(16), default="weekly", server_default="weekly")
    """weekly: one module unlocks per week from start_date; all-open: everything at once."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", passive_deletes=True)


class CohortMember(Base):
    """A user's place in a cohort, as learner or lead."""

    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"), _one_of("role", COHORT_ROLES))

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = _user_fk()
    role: Mapped[str] = mapped_column(String(16), default="learner", server_default="learner")

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Enrollment(Base):
    """A user following a track on their own pace (cohort or not)."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "track_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    track_id: Mapped[str] = mapped_column(String(128))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonProgress(Base):
    """A lesson a user marked as read."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    lesson_id: Mapped[str] = mapped_column(String(128))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(Base):
    """The editor's autosaved code, one per user and exercise."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "exercise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    exercise_id: Mapped[str] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(NulFreeText)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Submission(Base):
    """One press of *Run* or *Submit*: queued → running → passed | failed | error."""

    __tablename__ = "submissions"
    __table_args__ = (
        _one_of("mode", MODES),
        _one_of("status", STATUSES),
        # Serves "this learner's attempts at this exercise" and, as its leftmost
        # prefix, "all of this learner's submissions"; a user_id index would be redundant.
        # mode, status, error_class and superseded_by make it covering for a lead's per-exercise
        # counts over a cohort (portal.dashboard) and the gradebook's first passes: no table row
        # is read (migrations 0003, 0005). Named by hand: the generated name is over PostgreSQL's 63.
        Index("ix_submissions_user_exercise_mode_status_class_superseded",
              "user_id", "exercise_id", "mode", "status", "error_class", "superseded_by"),
        Index(None, "status"),
        Index(None, "regrade_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    exercise_id: Mapped[str] = mapped_column(String(128), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(NulFreeText)
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    error_reason: Mapped[str | None] = mapped_column(NulFreeText)
    """Why the run is an error, as a sentence the learner can read."""
    output: Mapped[str | None] = mapped_column(NulFreeText)
    """Captured pytest output, truncated by the checker."""
    score: Mapped[float | None] = mapped_column(Float)
    """Points earned (partial credit per passed test)."""
    tests_passed: Mapped[int | None]
    tests_total: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    late_minutes: Mapped[int | None]
    """Minutes past the learner's due date (extensions included) when submitted; None if on time."""
    error_class: Mapped[str | None] = mapped_column(String(32))
    """Why it did not pass, in a word: shape, dtype, nan, values, timeout, memory, import, crash."""
    queue: Mapped[str | None] = mapped_column(String(8))
    """Which queue it was sent to (``cpu`` or ``gpu``); None for input refused before queueing."""
    worker: Mapped[str | None] = mapped_column(String(128))
    """The worker that graded it (host and slot), for the health page and for tracing faults."""
    content_version: Mapped[str | None] = mapped_column(String(16))
    """The version of the exercise's tests, support files, limits, points and rules it was graded
    against (``courseware.content_version``); None when never graded, or graded before migration 0005."""
    # regrade_of and superseded_by hold submission ids but are not declared foreign keys: SQLite can
    # add a REFERENCES column only unnamed (so no later migration could find it) or by copying the
    # table, and dropping the old copy would cascade-delete every test result. Both ends of a link
    # are the same learner's, and submissions go only with their learner, so none is left dangling.
    regrade_of: Mapped[int | None]
    """For a regrade (``portal.regrade``): the learner's own *Submit* whose code this grades again."""
    superseded_by: Mapped[int | None]
    """The regrade that replaced this verdict; a superseded verdict stays in the history but no
    longer counts toward best score, first pass or leaderboards."""

    tests: Mapped[list[TestResult]] = relationship(
        order_by="TestResult.id", cascade="all, delete-orphan", passive_deletes=True)
    artifacts: Mapped[list[Artifact]] = relationship(
        order_by="Artifact.id", cascade="all, delete-orphan", passive_deletes=True)


class TestResult(Base):
    """The verdict of one test of a submission."""

    __tablename__ = "test_results"
    __table_args__ = (_one_of("visibility", VISIBILITIES), _one_of("outcome", OUTCOMES))
    __test__ = False  # not a pytest test class, despite the name

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    visibility: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(NulFreeText, default="")
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    error_class: Mapped[str | None] = mapped_column(String(32))
    """For a failed test: shape, dtype, nan, values, timeout, memory, import, network, crash."""


class Artifact(Base):
    """A plot or text a submission produced; ``payload`` is JSON text."""

    __tablename__ = "artifacts"
    __table_args__ = (_one_of("kind", ARTIFACT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(NulFreeText)


class ExerciseProgress(Base):
    """A learner's standing on one exercise, updated with every graded *Submit*."""

    __tablename__ = "exercise_progress"
    __table_args__ = (UniqueConstraint("user_id", "exercise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    exercise_id: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    best_score: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    passed_at: Mapped[datetime | None]
    """When every test first passed; moves only when a regrade replaces verdicts."""
    last_submission_at: Mapped[datetime | None]
    best_content_version: Mapped[str | None] = mapped_column(String(16))
    """The content version the best score was graded against (None: unknown, before migration 0005);
    pages mark the score as graded against older tests when it differs from the current one."""


class HintUse(Base):
    """A hint a learner chose to reveal (tiered hints are revealed in order)."""

    __tablename__ = "hint_uses"
    __table_args__ = (UniqueConstraint("user_id", "exercise_id", "hint_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    exercise_id: Mapped[str] = mapped_column(String(128))
    hint_index: Mapped[int] = mapped_column(Integer)
    shown_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deadline(Base):
    """A cohort's due date for a module or an exercise (by id)."""

    __tablename__ = "deadlines"
    __table_args__ = (UniqueConstraint("cohort_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime]


class Extension(Base):
    """A later due date granted by a lead to one learner for one module or exercise."""

    __tablename__ = "extensions"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = _user_fk()
    item_id: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime]
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubmissionInput(Base):
    """A file the learner handed in beside the code (e.g. their own text to train a bigram on).

    Kept in the database, not on the app's disk, so a worker on another machine can read it.
    """

    __tablename__ = "submission_inputs"
    __table_args__ = (UniqueConstraint("submission_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    content: Mapped[str] = mapped_column(NulFreeText)


class SubmissionMetric(Base):
    """A number a test measured (e.g. the validation loss of a trained GPT), for leaderboards."""

    __tablename__ = "submission_metrics"
    __table_args__ = (UniqueConstraint("submission_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)


class ApiToken(Base):
    """A personal token for the learner CLI; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The token's first characters, shown in the list so a learner can tell tokens apart."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginSession(Base):
    """A browser's log-in (``db.login_sessions``): only the SHA-256 of its token is stored.

    The token lives in an HttpOnly cookie; ``expires_at`` moves forward as the session is used.
    While ``ticket_hash`` is set, the session can be handed once to the browser that asked for
    it (the cookie route swaps the ticket for a new token; see ``portal.browser_session``).
    """

    __tablename__ = "login_sessions"
    __table_args__ = (Index(None, "user_id"), Index(None, "expires_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the one-time ticket that sets the cookie; None once used (or never issued)."""
    ticket_browser: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the browser cookie the ticket is bound to (a ticket works only in that browser)."""
    ticket_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class SiteKey(Base):
    """A secret the app processes share, e.g. the key that signs log-in cookies (made on first use)."""

    __tablename__ = "site_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
