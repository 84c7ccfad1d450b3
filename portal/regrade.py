"""Regrading after tests change, without losing history; and which verdicts are out of date.

    report = regrade(ctx.sessions, ctx.bank, ctx.grading, viewer, "stable-softmax", cohort="Spring 2027")
    print(report.message)                       # "Queued 12 submission(s) of …"
    notice = regrade_notice(ctx.sessions, ctx.bank, user.id, "stable-softmax")
    if notice: st.info(notice.message)           # "Your submission was regraded on … was 7/10, now 5/10."

Every graded submission records the content version it was graded against
(``courseware.content_version``). A verdict is *stale* when that version is known and differs
from the exercise's version now; a verdict without a version (graded before versions were
recorded) is never called stale, since nobody knows. An admin's regrade re-runs each learner's
latest *Submit* of the exercise through the grading service (``GradingService.regrade``); the
new verdict supersedes the old one, which stays in the history, and best scores, first passes
and leaderboards follow the new one. The rules are plain functions here; pages only draw them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from grading.service import GradingService, SubmitError
from courseware.content_version import content_version
from courseware.spec import ContentBank, ExerciseSpec
from db.models import FINAL_STATUSES, Cohort, CohortMember, ExerciseProgress, Submission, User
from portal.access import require_admin
from portal.admin import AdminError
from portal.auth import CurrentUser

STALE_LABEL = "graded against an older version of the tests"


def current_version(spec: ExerciseSpec | None) -> str | None:
    """The exercise's content version now; None when it cannot be read (or there is no exercise)."""
    if spec is None:
        return None
    try:
        return content_version(spec)
    except OSError:
        return None


def current_versions(bank: ContentBank, exercise_ids: Iterable[str]) -> dict[str, str | None]:
    """Exercise id → its content version now (None for an exercise that no longer exists)."""
    return {e: current_version(bank.exercises.get(e)) for e in exercise_ids}


def is_stale(graded_against: str | None, current: str | None) -> bool:
    """Whether a verdict graded against ``graded_against`` is out of date; unknown versions are not."""
    return graded_against is not None and current is not None and graded_against != current


def attempt_note(*, regrade_of: int | None, superseded_by: int | None, content_version: str | None,
                 current: str | None) -> str:
    """What the history says beside one attempt: regrade links and whether its tests were older."""
    notes = []
    if regrade_of is not None:
        notes.append(f"regrade of #{regrade_of}")
    if superseded_by is not None:
        notes.append(f"superseded by regrade #{superseded_by}")
    if is_stale(content_version, current):
        notes.append(STALE_LABEL)
    return "; ".join(notes)


def stale_standings(sessions: sessionmaker[Session], bank: ContentBank, user_ids: Iterable[int],
                    exercise_ids: Iterable[str]) -> set[tuple[int, str]]:
    """(learner, exercise) pairs whose best score was graded against an older version of the tests."""
    users, exercises = list(user_ids), list(exercise_ids)
    if not users or not exercises:
        return set()
    versions = current_versions(bank, exercises)
    with sessions() as session:
        rows = session.execute(
            select(ExerciseProgress.user_id, ExerciseProgress.exercise_id, ExerciseProgress.best_content_version)
            .where(ExerciseProgress.user_id.in_(users), ExerciseProgress.exercise_id.in_(exercises),
                   ExerciseProgress.best_content_version.is_not(None))).all()
    return {(u, e) for u, e, v in rows if is_stale(v, versions.get(e))}


def stale_exercises(sessions: sessionmaker[Session], bank: ContentBank, user_id: int) -> list[tuple[str, str]]:
    """(id, title) of the exercises whose best score of this learner was graded against older tests."""
    stale = stale_standings(sessions, bank, [user_id], bank.exercises)
    return sorted(((e, bank.exercises[e].title) for _, e in stale), key=lambda item: item[1])


@dataclass(frozen=True)
class RegradeNotice:
    """The learner's latest Submit was regraded: what it scored before and what it scores now."""

    submission_id: int
    """The regrade whose verdict now stands."""
    regraded_at: datetime
    was_score: float | None
    was_status: str
    now_score: float | None
    now_status: str
    points: int

    @property
    def changed(self) -> bool:
        """Whether the regrade changed the score or the status."""
        return (self.was_score, self.was_status) != (self.now_score, self.now_status)

    @property
    def message(self) -> str:
        """One sentence for the exercise page."""
        def score(value: float | None, status: str) -> str:
            return f"{value or 0:g}/{self.points}" if status != "error" or value else "an error"
        when = f"{self.regraded_at:%d %b %Y}"
        if self.changed:
            return (f"Your submission was regraded on {when} against updated tests: "
                    f"was {score(self.was_score, self.was_status)}, now {score(self.now_score, self.now_status)}.")
        return (f"Your submission was regraded on {when} against updated tests; "
                f"its score is unchanged ({score(self.now_score, self.now_status)}).")


def regrade_notice(sessions: sessionmaker[Session], bank: ContentBank, user_id: int,
                   exercise_id: str) -> RegradeNotice | None:
    """A notice when the verdict that stands for the learner's latest Submit comes from a regrade."""
    spec = bank.exercises.get(exercise_id)
    with sessions() as session:
        latest = session.scalar(select(func.max(Submission.id)).where(
            Submission.user_id == user_id, Submission.exercise_id == exercise_id, Submission.mode == "submit",
            Submission.regrade_of.is_(None)))
        if latest is None:
            return None
        standing = session.scalar(
            select(Submission).where(Submission.regrade_of == latest, Submission.superseded_by.is_(None),
                                     Submission.status.in_(FINAL_STATUSES))
            .order_by(Submission.id.desc()).limit(1))
        if standing is None:
            return None
        replaced = session.scalar(select(Submission).where(Submission.superseded_by == standing.id)
                                  .order_by(Submission.id.desc()).limit(1))
        if replaced is None:
            return None
        return RegradeNotice(standing.id, standing.finished_at or standing.created_at, replaced.score,
                             replaced.status, standing.score, standing.status, spec.points if spec else 0)


@dataclass(frozen=True)
class RegradeReport:
    """What an admin's regrade did."""

    exercise_id: str
    version: str | None
    """The content version the regrades are graded against."""
    cohort: str | None
    queued: list[int] = field(default_factory=list)
    """Ids of the new (regrade) submissions, one per learner."""
    originals: list[int] = field(default_factory=list)
    """The learners' Submits they regrade, in the same order."""
    up_to_date: int = 0
    """Latest Submits whose verdict was graded against the current tests already (left alone)."""
    in_progress: int = 0
    """Latest Submits still being graded, or with a regrade queued already (left alone)."""
    not_gradable: int = 0
    """Latest Submits refused before grading (e.g. a syntax error): there is nothing to re-run."""
    problem: str | None = None
    """Why queueing stopped early (the grading queue was unreachable)."""

    @property
    def message(self) -> str:
        """One line for the admin."""
        where = f" in {self.cohort}" if self.cohort else ""
        text = (f"Queued {len(self.queued)} submission(s) of {self.exercise_id!r}{where} for regrading "
                f"against tests version {self.version}.")
        skipped = [f"{n} {why}" for n, why in ((self.up_to_date, "already graded against these tests"),
                                               (self.in_progress, "still being graded"),
                                               (self.not_gradable, "never graded (refused input)")) if n]
        if skipped:
            text += " Left alone: " + ", ".join(skipped) + "."
        if self.problem:
            text += f" Stopped early: {self.problem}"
        return text


def _cohort_members(session: Session, name: str) -> tuple[str, object]:
    cohort = session.scalar(select(Cohort).where(Cohort.name == name.strip()))
    if cohort is None:
        known = ", ".join(session.scalars(select(Cohort.name).order_by(Cohort.name))) or "none yet"
        raise AdminError(f"no cohort named {name.strip()!r}; known cohorts: {known}")
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id,
                                                 CohortMember.role == "learner").scalar_subquery()
    return cohort.name, members


def regrade(sessions: sessionmaker[Session], bank: ContentBank, grading: GradingService, viewer: CurrentUser,
            exercise_id: str, *, cohort: str | None = None, force: bool = False) -> RegradeReport:
    """Queue a regrade of every learner's latest Submit of ``exercise_id`` (of one cohort, if named).

    A learner's latest Submit is left alone when its standing verdict was graded against the
    current tests already (unless ``force``), when it or a regrade of it is still being graded,
    or when it was refused before grading. Admins only (``AccessDenied``); ``AdminError`` for an
    unknown exercise or cohort.
    """
    require_admin(viewer)
    spec = bank.exercises.get(exercise_id)
    if spec is None:
        raise AdminError(f"no exercise {exercise_id!r}; known exercises: {', '.join(sorted(bank.exercises))}")
    version = current_version(spec)
    with sessions() as session:
        query = (select(func.max(Submission.id))
                 .where(Submission.exercise_id == exercise_id, Submission.mode == "submit",
                        Submission.regrade_of.is_(None))
                 .group_by(Submission.user_id))
        cohort_name = None
        if cohort:
            cohort_name, members = _cohort_members(session, cohort)
            query = query.where(Submission.user_id.in_(members))
        latest = sorted(session.scalars(query))
        family = session.execute(
            select(Submission.id, Submission.regrade_of, Submission.status, Submission.queue,
                   Submission.content_version, Submission.superseded_by)
            .where(or_(Submission.id.in_(latest), Submission.regrade_of.in_(latest)))).all() if latest else []
    by_original: dict[int, list] = {i: [] for i in latest}
    for row in family:
        by_original[row.regrade_of or row.id].append(row)
    todo, up_to_date, in_progress, not_gradable = [], 0, 0, 0
    for original_id in latest:
        rows = by_original[original_id]
        original = next(r for r in rows if r.id == original_id)
        if any(r.status not in FINAL_STATUSES for r in rows):
            in_progress += 1
        elif original.queue is None and original.status == "error":
            not_gradable += 1
        else:
            standing = max((r for r in rows if r.superseded_by is None), key=lambda r: r.id)
            if standing.content_version == version and version is not None and not force:
                up_to_date += 1
            else:
                todo.append((original_id, standing.id))
    queued, originals, problem = [], [], None
    for original_id, standing_id in todo:
        try:
            queued.append(grading.regrade(standing_id))
        except SubmitError as exc:
            problem = str(exc)
            break
        originals.append(original_id)
    return RegradeReport(exercise_id, version, cohort_name, queued, originals, up_to_date, in_progress,
                         not_gradable, problem)


@dataclass(frozen=True)
class RegradeOutcome:
    """One finished regrade as the admin's summary lists it."""

    submission_id: int
    username: str
    was_score: float | None
    now_score: float | None
    status: str


def regrade_outcomes(sessions: sessionmaker[Session], viewer: CurrentUser, ids: Iterable[int]) -> list[RegradeOutcome]:
    """The state of the given regrades with the score each replaced (admins only)."""
    require_admin(viewer)
    ids = list(ids)
    if not ids:
        return []
    with sessions() as session:
        rows = session.execute(select(Submission.id, User.username, Submission.score, Submission.status)
                               .join(User, User.id == Submission.user_id).where(Submission.id.in_(ids))).all()
        was = dict(session.execute(select(Submission.superseded_by, Submission.score)
                                   .where(Submission.superseded_by.in_(ids))).all())
    return [RegradeOutcome(i, u, was.get(i), s, st) for i, u, s, st in sorted(rows, key=lambda r: r.username)]
