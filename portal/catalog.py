"""Tracks as a learner sees them: modules with items ticked off, and overall progress."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from courseware.spec import ContentBank, Track
from db import progress
from portal.pacing import ItemLock, exercise_locks


@dataclass(frozen=True)
class ItemView:
    """One lesson or exercise line in a module list."""

    kind: str
    id: str
    title: str
    done: bool
    """Lesson marked read, or exercise passed on *Submit*."""
    coming: bool
    score: float | None = None
    points: int | None = None
    lock: ItemLock | None = None
    """Set while the exercise is not open yet for the learner's cohort (``portal.pacing``)."""


@dataclass(frozen=True)
class ModuleView:
    """A module with its items and how many are done."""

    id: str
    title: str
    week: int
    summary: str
    items: tuple[ItemView, ...]

    @property
    def done_count(self) -> int:
        return sum(i.done for i in self.items if not i.coming)

    @property
    def total(self) -> int:
        return sum(not i.coming for i in self.items)


@dataclass(frozen=True)
class TrackOutline:
    """A track with the learner's progress through it."""

    track: Track
    modules: tuple[ModuleView, ...]
    followed: bool = False
    """The learner follows this track (the Tracks page's Follow / Unfollow button)."""

    @property
    def done_count(self) -> int:
        return sum(m.done_count for m in self.modules)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.modules)

    @property
    def points_earned(self) -> float:
        return sum(i.score or 0 for m in self.modules for i in m.items if i.kind == "exercise")

    @property
    def points_possible(self) -> int:
        return sum(i.points or 0 for m in self.modules for i in m.items if i.kind == "exercise")


def track_outline(sessions: sessionmaker[Session], bank: ContentBank, user_id: int, track_id: str,
                  today: date | None = None) -> TrackOutline:
    """The track's modules with the user's ticks and locks (as of ``today``, default the current date);
    KeyError if the track does not exist."""
    track = bank.tracks[track_id]
    with sessions() as session:
        lessons_done = progress.lessons_done(session, user_id)
        exercises = progress.exercise_progress(session, user_id)
        locks = exercise_locks(session, bank, user_id, today or date.today())
        followed = track_id in progress.enrolled_track_ids(session, user_id)
    modules = []
    for m in track.modules:
        items = []
        for item in m.items:
            if item.kind == "lesson":
                lesson = bank.lessons.get(item.id)
                items.append(ItemView("lesson", item.id, lesson.title if lesson else item.id,
                                      item.id in lessons_done, item.coming or lesson is None))
            else:
                spec = bank.exercises.get(item.id)
                ep = exercises.get(item.id)
                items.append(ItemView("exercise", item.id, spec.title if spec else item.id,
                                      bool(ep and ep.passed_at), item.coming or spec is None,
                                      ep.best_score if ep else None, spec.points if spec else None,
                                      locks.get(item.id)))
        modules.append(ModuleView(m.id, m.title, m.week, m.summary, tuple(items)))
    return TrackOutline(track, tuple(modules), followed)


def all_outlines(sessions: sessionmaker[Session], bank: ContentBank, user_id: int,
                 today: date | None = None) -> list[TrackOutline]:
    """Every track with the user's progress, enrolled tracks first."""
    with sessions() as session:
        enrolled = progress.enrolled_track_ids(session, user_id)
    order = sorted(bank.tracks, key=lambda t: (t not in enrolled, bank.tracks[t].title))
    return [track_outline(sessions, bank, user_id, t, today) for t in order]


def enroll(sessions: sessionmaker[Session], user_id: int, track_id: str) -> None:
    """Record that the user follows a track (idempotent)."""
    with sessions() as session:
        progress.enroll(session, user_id, track_id)
        session.commit()


def unenroll(sessions: sessionmaker[Session], user_id: int, track_id: str) -> None:
    """Stop following a track (idempotent); the learner's progress on its items stays."""
    with sessions() as session:
        progress.unenroll(session, user_id, track_id)
        session.commit()


def mark_lesson_read(sessions: sessionmaker[Session], user_id: int, lesson_id: str) -> None:
    """Tick a lesson off (idempotent)."""
    with sessions() as session:
        progress.mark_lesson_done(session, user_id, lesson_id)
        session.commit()
