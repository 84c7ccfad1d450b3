"""Weekly unlocking, due dates, extensions and lateness for cohorts.

Rules: a learner outside any cohort has everything open and nothing due. In a cohort with
``weekly`` pacing, module *w* opens on ``start_date + 7·(w−1)`` days; with ``all-open``
everything opens on the start date. A due date is set per module or per exercise
(``deadlines``); an exercise's own due date wins over its module's, and a learner's
extension wins over both. Late work is accepted and recorded in minutes late.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from courseware.spec import ContentBank, Module, Track
from db.models import Cohort, CohortMember, Deadline, Extension


@dataclass(frozen=True)
class ModuleSchedule:
    """When one module opens and is due for one learner of a cohort."""

    module: Module
    opens_on: date
    due_at: datetime | None
    is_open: bool


@dataclass(frozen=True)
class ItemLock:
    """An exercise that is not open yet for one learner: when it opens, and which module and cohort say so."""

    opens_on: date
    module_title: str
    cohort_name: str

    def label(self, today: date | None = None) -> str:
        """``Opens on Friday 11 December`` (the year is added when it is not ``today``'s)."""
        return f"Opens on {opening_words(self.opens_on, today)}"

    def short(self, today: date | None = None) -> str:
        """``opens Fri 11 Dec`` for a line of an outline."""
        year = "" if today is None or self.opens_on.year == today.year else f" {self.opens_on.year}"
        return f"opens {self.opens_on:%a} {self.opens_on.day} {self.opens_on:%b}{year}"


def opening_words(day: date, today: date | None = None) -> str:
    """``Friday 11 December``; with the year when it differs from ``today``'s (or no ``today`` is given)."""
    words = f"{day:%A} {day.day} {day:%B}"
    return words if today is not None and day.year == today.year else f"{words} {day.year}"


def opens_on(cohort: Cohort, module: Module) -> date:
    """The date ``module`` opens for ``cohort``."""
    if cohort.pacing == "all-open":
        return cohort.start_date
    return cohort.start_date + timedelta(days=7 * (module.week - 1))


def due_at(item_id: str, module_id: str, deadlines: dict[str, datetime],
           extensions: dict[str, datetime]) -> datetime | None:
    """The due date that applies: extension (item, then module), else deadline (item, then module)."""
    for source in (extensions, deadlines):
        for key in (item_id, module_id):
            if key in source:
                return source[key]
    return None


def minutes_late(due: datetime | None, when: datetime) -> int | None:
    """Whole minutes (rounded up) past ``due``; None when on time or nothing is due."""
    if due is None or when <= due:
        return None
    return math.ceil((when - due).total_seconds() / 60)


def learner_cohort(session: Session, user_id: int) -> Cohort | None:
    """The cohort the user learns in (the most recently started, if several)."""
    return session.scalar(select(Cohort).join(CohortMember).where(
        CohortMember.user_id == user_id, CohortMember.role == "learner").order_by(Cohort.start_date.desc()).limit(1))


def _dates(session: Session, cohort: Cohort, user_id: int) -> tuple[dict[str, datetime], dict[str, datetime]]:
    deadlines = {d.item_id: d.due_at for d in session.scalars(select(Deadline).where(Deadline.cohort_id == cohort.id))}
    extensions = {e.item_id: e.due_at for e in session.scalars(
        select(Extension).where(Extension.cohort_id == cohort.id, Extension.user_id == user_id))}
    return deadlines, extensions


def schedule(session: Session, bank: ContentBank, user_id: int, today: date) -> tuple[Cohort | None, list[ModuleSchedule]]:
    """The learner's cohort and, for its track, each module's opening and due dates."""
    cohort = learner_cohort(session, user_id)
    if cohort is None or cohort.track_id not in bank.tracks:
        return cohort, []
    deadlines, extensions = _dates(session, cohort, user_id)
    return cohort, [ModuleSchedule(m, opens_on(cohort, m), due_at(m.id, m.id, deadlines, extensions),
                                   opens_on(cohort, m) <= today)
                    for m in bank.tracks[cohort.track_id].modules]


def _module_of(track: Track, exercise_id: str) -> Module | None:
    return next((m for m in track.modules for i in m.items if i.kind == "exercise" and i.id == exercise_id), None)


def lock_of(cohort: Cohort | None, track: Track | None, exercise_id: str, today: date) -> ItemLock | None:
    """The rule itself: an exercise is locked while the module that holds it in the cohort's track has
    not opened; a learner outside any cohort, or an exercise outside the cohort's track, is open."""
    module = _module_of(track, exercise_id) if cohort is not None and track is not None else None
    if module is None:
        return None
    opening = opens_on(cohort, module)
    return ItemLock(opening, module.title, cohort.name) if opening > today else None


def exercise_locks(session: Session, bank: ContentBank, user_id: int, today: date) -> dict[str, ItemLock]:
    """Every exercise not open yet for this learner (by id; lessons never lock): what track outlines
    mark with a lock, whichever track they show."""
    cohort = learner_cohort(session, user_id)
    track = bank.tracks.get(cohort.track_id) if cohort else None
    if track is None:
        return {}
    ids = {i.id for m in track.modules for i in m.items if i.kind == "exercise"}
    return {i: lock for i in ids if (lock := lock_of(cohort, track, i, today)) is not None}


def exercise_lock(session: Session, bank: ContentBank, user_id: int, exercise_id: str, today: date) -> ItemLock | None:
    """When the exercise opens for this learner, or None if it is open: the exercise page's banner, and
    the rule the grading service refuses by (``PacingPolicy.lock_reason``)."""
    cohort = learner_cohort(session, user_id)
    return lock_of(cohort, bank.tracks.get(cohort.track_id) if cohort else None, exercise_id, today)


class PacingPolicy:
    """What the grading service asks before accepting a submission."""

    def __init__(self, bank: ContentBank) -> None:
        self.bank = bank

    def _place(self, session: Session, user_id: int, exercise_id: str) -> tuple[Cohort, Module] | None:
        cohort = learner_cohort(session, user_id)
        track = self.bank.tracks.get(cohort.track_id) if cohort else None
        module = _module_of(track, exercise_id) if track else None
        return (cohort, module) if module else None

    def lock(self, session: Session, user_id: int, exercise_id: str, today: date) -> ItemLock | None:
        """When the exercise opens for this learner, or None if it is open."""
        return exercise_lock(session, self.bank, user_id, exercise_id, today)

    def lock_reason(self, session: Session, user_id: int, exercise_id: str, now: datetime) -> str | None:
        """Why the exercise is not open yet for this learner, or None if it is open."""
        lock = self.lock(session, user_id, exercise_id, now.date())
        if lock is None:
            return None
        return (f"{lock.module_title} opens on {lock.opens_on:%A %d %B %Y} for {lock.cohort_name}; "
                "you can read the lessons until then.")

    def late_minutes(self, session: Session, user_id: int, exercise_id: str, now: datetime) -> int | None:
        """Minutes past the due date that applies to this learner, or None if on time."""
        place = self._place(session, user_id, exercise_id)
        if place is None:
            return None
        cohort, module = place
        deadlines, extensions = _dates(session, cohort, user_id)
        return minutes_late(due_at(exercise_id, module.id, deadlines, extensions), now)


def end_of_day(day: date) -> datetime:
    """23:59:59 UTC on ``day``: the natural due time for a date picked in a form."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)
