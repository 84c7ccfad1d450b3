"""Where a lesson or exercise sits in the learner's track, and the text of references to other items.

Lessons and exercises are shared by several tracks, so their text never says "the next
lesson"; the pages draw the order from the learner's own track instead:

    track_id = learner_track(ctx.sessions, ctx.bank, user.id, "lesson", lesson.id)
    nav = neighbours(ctx.bank, track_id, "lesson", lesson.id)   # None: not part of that track
    nav.heading           # "First steps: … · Week 2 · Scaled dot-product attention"
    nav.previous, nav.next, nav.companions                    # NavLink or None / a tuple of them
    render_references(lesson.body, ctx.bank, track_id)        # [[lesson:id]] → title and its place

The learner's track: a cohort learner's is their cohort's track; otherwise the track they are
browsing (``preferred``, the Tracks page's choice) when it holds the item, else the first
followed track that holds it, else the first followed track, else the first track (by title)
that holds the item.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from courseware.prose import REFERENCE
from courseware.spec import ContentBank, Module, Track
from db import progress
from portal.pacing import learner_cohort


@dataclass(frozen=True)
class NavLink:
    """A lesson or exercise the page links to, with the module it sits in."""

    kind: str
    """"lesson" or "exercise"."""
    id: str
    title: str
    module_title: str
    """Title of the module the item sits in (shown when a link leaves the current module)."""

    @property
    def page(self) -> str:
        """The page script that shows the item."""
        return "app_pages/lesson.py" if self.kind == "lesson" else "app_pages/exercise.py"

    @property
    def label(self) -> str:
        """"📖 Lesson: <title>" or "🧪 Exercise: <title>"."""
        return ("📖 Lesson: " if self.kind == "lesson" else "🧪 Exercise: ") + self.title


@dataclass(frozen=True)
class Neighbours:
    """An item's place in one track: its module, the items before and after it, its companions."""

    track: Track
    module: Module
    position: int
    """1-based position of the item among the written items of its module."""
    count: int
    """Written items in the module."""
    previous: NavLink | None
    """The item before it in the track (across module boundaries); None at the start."""
    next: NavLink | None
    """The item after it in the track (across module boundaries); None at the end."""
    companions: tuple[NavLink, ...]
    """For a lesson, the exercises that practise it; for an exercise, the lessons it practises:
    within the module, a run of lessons goes with the run of exercises right after it."""

    @property
    def heading(self) -> str:
        """"<track> · <week and module>", e.g. "First steps · Week 2 · Scaled dot-product attention"."""
        return f"{self.track.title} · {module_label(self.module, self.track)}"


def module_label(module: Module, track: Track | None = None) -> str:
    """The module's title, led by its week unless the title already says it ("Week 3 · Attention")
    or every module of ``track`` opens in the same week (a one-week track of days)."""
    if module.title.lower().startswith(f"week {module.week}") \
            or track is not None and len({m.week for m in track.modules}) == 1:
        return module.title
    return f"Week {module.week} · {module.title}"


def _written(bank: ContentBank, kind: str, item_id: str) -> str | None:
    """The item's title if it exists in the bank, else None."""
    item = (bank.lessons if kind == "lesson" else bank.exercises).get(item_id)
    return item.title if item is not None else None


def _sequence(bank: ContentBank, track: Track) -> list[tuple[int, NavLink]]:
    """The track's written items in order, each with the index of its module."""
    out = []
    for mi, module in enumerate(track.modules):
        for item in module.items:
            title = None if item.coming else _written(bank, item.kind, item.id)
            if title is not None:
                out.append((mi, NavLink(item.kind, item.id, title, module.title)))
    return out


def place_in_track(bank: ContentBank, track: Track, kind: str, item_id: str) -> Module | None:
    """The first module of ``track`` that lists the item as written, or None."""
    return next((m for m in track.modules for i in m.items
                 if i.kind == kind and i.id == item_id and not i.coming), None)


def tracks_with(bank: ContentBank, kind: str, item_id: str) -> list[Track]:
    """The tracks that hold the item, by title."""
    return sorted((t for t in bank.tracks.values() if place_in_track(bank, t, kind, item_id)),
                  key=lambda t: t.title)


def neighbours(bank: ContentBank, track_id: str | None, kind: str, item_id: str) -> Neighbours | None:
    """The item's place in the track, or None when the track does not exist or does not hold it."""
    track = bank.tracks.get(track_id) if track_id else None
    if track is None:
        return None
    sequence = _sequence(bank, track)
    at = next((n for n, (_, link) in enumerate(sequence) if link.kind == kind and link.id == item_id), None)
    if at is None:
        return None
    mi = sequence[at][0]
    in_module = [link for m, link in sequence if m == mi]
    position = next(n for n, link in enumerate(in_module) if link.kind == kind and link.id == item_id)
    return Neighbours(
        track=track, module=track.modules[mi], position=position + 1, count=len(in_module),
        previous=sequence[at - 1][1] if at > 0 else None,
        next=sequence[at + 1][1] if at + 1 < len(sequence) else None,
        companions=_companions(in_module, position),
    )


def _companions(items: list[NavLink], position: int) -> tuple[NavLink, ...]:
    """Pair each run of lessons with the run of exercises right after it; return the other half
    of the pair the item at ``position`` belongs to."""
    groups: list[tuple[list[NavLink], list[NavLink]]] = []
    for link in items:
        if not groups or (link.kind == "lesson" and groups[-1][1]):
            groups.append(([], []))
        groups[-1][0 if link.kind == "lesson" else 1].append(link)
    me = items[position]
    for lessons, exercises in groups:
        if me in lessons:
            return tuple(exercises)
        if me in exercises:
            return tuple(lessons)
    return ()


def choose_track(bank: ContentBank, kind: str, item_id: str, *, cohort_track: str | None,
                 followed: list[str], preferred: str | None = None) -> str | None:
    """The rule for the learner's track (see the module docstring), without the database."""
    if cohort_track in bank.tracks:
        return cohort_track
    holding = [t.id for t in tracks_with(bank, kind, item_id)]
    if preferred in holding:
        return preferred
    followed = [t for t in followed if t in bank.tracks]
    for track_id in followed:
        if track_id in holding:
            return track_id
    if followed:
        return followed[0]
    return holding[0] if holding else None


def learner_track(sessions: sessionmaker[Session], bank: ContentBank, user_id: int, kind: str, item_id: str,
                  preferred: str | None = None) -> str | None:
    """The id of the track whose order the page shows this learner for this item (None: no track)."""
    with sessions() as session:
        cohort = learner_cohort(session, user_id)
        followed = progress.enrolled_track_ids(session, user_id)
    return choose_track(bank, kind, item_id, cohort_track=cohort.track_id if cohort else None,
                        followed=followed, preferred=preferred)


def reference_place(bank: ContentBank, track_id: str | None, kind: str, item_id: str) -> str:
    """Where a referenced item sits, for the text: "in Week 3 of this track" or "not part of this track"."""
    track = bank.tracks.get(track_id) if track_id else None
    module = place_in_track(bank, track, kind, item_id) if track else None
    if module is None:
        return "not part of this track"
    same_week = [m for m in track.modules if m.week == module.week]
    return f"in {module.title if len(same_week) > 1 else f'Week {module.week}'} of this track"


def referenced_items(bank: ContentBank, text: str) -> list[NavLink]:
    """The items ``text`` refers to with ``[[lesson:id]]`` / ``[[exercise:id]]``, in order, each once."""
    out: dict[tuple[str, str], NavLink] = {}
    for m in REFERENCE.finditer(text):
        title = _written(bank, m.group(1), m.group(2))
        if title is not None:
            out.setdefault((m.group(1), m.group(2)), NavLink(m.group(1), m.group(2), title, ""))
    return list(out.values())


def render_references(text: str, bank: ContentBank, track_id: str | None) -> str:
    """``text`` with each reference replaced by the item's title and its place in the track.

    ``[[lesson:learning-rate-schedules]]`` becomes ``📖 *Learning-rate schedules* (in Week 3 of this
    track)`` or ``… (not part of this track)``; just before a closing bracket, ``(see [[lesson:x]])``,
    the place follows a comma instead. The page lists the referenced items as links below the text (a link inside
    Markdown would open a new browser tab, which starts a new session).
    """
    def one(m) -> str:
        kind, item_id = m.group(1), m.group(2)
        title = _written(bank, kind, item_id)
        if title is None:  # the loader refuses these; keep the page readable if one slips through
            return item_id
        icon, place = "📖" if kind == "lesson" else "🧪", reference_place(bank, track_id, kind, item_id)
        if text.startswith(")", m.end()):  # "(see [[lesson:x]])": no second pair of brackets
            return f"{icon} *{title}*, {place}"
        return f"{icon} *{title}* ({place})"

    return REFERENCE.sub(one, text)
