"""Where a learner or a lead starts: the landing page, the track shown first, the current item,
and the page a log-in returns to.

    landing_page(user.role)                         # "cohorts" for a lead, else "tracks"
    home_track(bank, cohort_track=…, followed=…)    # the track the Tracks page opens on
    current_item(bank, track_id, "exercise", done=…, open_modules=…)   # what the sidebar's Exercise opens
    after_login_path("cohorts", {}, "lead")         # "/cohorts": a deep link survives the log-in

The rules are plain functions; ``learner_home`` and ``learner_current_item`` read what they need
from the database. The learner's track follows ``portal.navigation``'s order: the cohort's
track, else the track being browsed, else a followed one, else the first by title.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping
from urllib.parse import urlencode

from sqlalchemy.orm import Session, sessionmaker

from courseware.spec import ContentBank
from db import progress
from portal.pacing import learner_cohort, schedule

PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "tracks": ("learner", "lead", "admin"),
    "lesson": ("learner", "lead", "admin"),
    "exercise": ("learner", "lead", "admin"),
    "progress": ("learner", "lead", "admin"),
    "cohorts": ("lead", "admin"),
    "admin": ("admin",),
    "health": ("admin",),
}
"""Page (URL path) → the roles whose navigation lists it; the functions behind each page check
access again (``portal.access``)."""


def may_open(role: str, page: str) -> bool:
    """True when the page is in this role's navigation ("" is the default page: everyone's)."""
    return page == "" or role in PAGE_ROLES.get(page, ())


def landing_page(role: str) -> str:
    """The page a fresh visit to the app's root opens: a lead's cohort dashboard, else Tracks."""
    return "cohorts" if role == "lead" else "tracks"


def after_login_path(page: str, query: Mapping[str, str], role: str, base: str = "") -> str:
    """The address to return to after logging in: the page asked for (with its query, e.g.
    ``/exercise?id=x``) when this role may open it, else the app's root (whose landing rule applies)."""
    base = "/" + base.strip("/") if base.strip("/") else ""
    if not page or not may_open(role, page):
        return base + "/"
    suffix = f"?{urlencode(dict(query))}" if query else ""
    return f"{base}/{page}{suffix}"


def home_track(bank: ContentBank, *, cohort_track: str | None, followed: Iterable[str] = (),
               preferred: str | None = None) -> str | None:
    """The track a learner sees first: their cohort's, else the one they browse (``preferred``),
    else the first they follow, else the first by title (None when no track is installed)."""
    for candidate in (cohort_track, preferred, *followed):
        if candidate in bank.tracks:
            return candidate
    return min(bank.tracks, key=lambda t: bank.tracks[t].title, default=None)


def current_item(bank: ContentBank, track_id: str | None, kind: str, *, done: set[str],
                 open_modules: set[str] | None = None) -> str | None:
    """The item of ``kind`` ("lesson" or "exercise") to work on: the first in the track's order
    that is written, not done and in an open module (``open_modules`` None: every module is open);
    else the first not done (its page says when it opens); else the track's last one of that
    kind. None when the track has none."""
    track = bank.tracks.get(track_id) if track_id else None
    if track is None:
        return None
    written = bank.lessons if kind == "lesson" else bank.exercises
    items = [(m.id, i.id) for m in track.modules for i in m.items
             if i.kind == kind and not i.coming and i.id in written]
    for module_id, item_id in items:
        if item_id not in done and (open_modules is None or module_id in open_modules):
            return item_id
    for _, item_id in items:
        if item_id not in done:
            return item_id
    return items[-1][1] if items else None


@dataclass(frozen=True)
class LearnerPlace:
    """What the landing rules need to know about one learner."""

    cohort_track: str | None
    followed: tuple[str, ...]
    lessons_done: frozenset[str]
    exercises_passed: frozenset[str]
    open_modules: frozenset[str] | None
    """Modules of the cohort's track open today; None outside a cohort (everything is open)."""


def learner_place(session: Session, bank: ContentBank, user_id: int, today: date) -> LearnerPlace:
    """Read the learner's cohort, followed tracks, done items and open modules."""
    cohort = learner_cohort(session, user_id)
    open_modules = None
    if cohort is not None and cohort.track_id in bank.tracks:
        _, modules = schedule(session, bank, user_id, today)
        open_modules = frozenset(s.module.id for s in modules if s.is_open)
    return LearnerPlace(
        cohort_track=cohort.track_id if cohort else None,
        followed=tuple(progress.enrolled_track_ids(session, user_id)),
        lessons_done=frozenset(progress.lessons_done(session, user_id)),
        exercises_passed=frozenset(e for e, p in progress.exercise_progress(session, user_id).items() if p.passed_at),
        open_modules=open_modules,
    )


def learner_home(sessions: sessionmaker[Session], bank: ContentBank, user_id: int,
                 preferred: str | None = None) -> str | None:
    """``home_track`` for this learner."""
    with sessions() as session:
        cohort = learner_cohort(session, user_id)
        followed = progress.enrolled_track_ids(session, user_id)
    return home_track(bank, cohort_track=cohort.track_id if cohort else None, followed=followed,
                      preferred=preferred)


def learner_current_item(sessions: sessionmaker[Session], bank: ContentBank, user_id: int, kind: str,
                         preferred: str | None = None, today: date | None = None) -> str | None:
    """``current_item`` of ``kind`` in this learner's home track (the cohort's track first)."""
    with sessions() as session:
        place = learner_place(session, bank, user_id, today or date.today())
    track_id = home_track(bank, cohort_track=place.cohort_track, followed=place.followed, preferred=preferred)
    done = place.lessons_done if kind == "lesson" else place.exercises_passed
    open_modules = place.open_modules if track_id == place.cohort_track else None
    return current_item(bank, track_id, kind, done=set(done), open_modules=set(open_modules)
                        if open_modules is not None else None)
