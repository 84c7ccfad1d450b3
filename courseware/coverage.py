"""How much of its syllabus a track covers: every syllabus item maps to a lesson, an exercise, a
resource, the module itself, or an explicit ``not_covered`` reason.

    python -m courseware coverage            # one line per track, the uncovered items under it

A track names its syllabus (``syllabus: 002_….txt``); ``covers:`` lists on the track (its
description), its modules, their items and resources name syllabus items by id (``courseware.syllabus``). Besides gaps, a report lists
mistakes that would make the count lie: ids the syllabus does not have, resource addresses that are
not in the syllabus, and modules whose syllabus sections come out of the syllabus's order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from courseware.spec import Track
from courseware.syllabus import SyllabusItem


@dataclass(frozen=True)
class TrackCoverage:
    """The result for one track."""

    track_id: str
    items: tuple[SyllabusItem, ...]
    covered_by: dict[str, tuple[str, ...]]
    """Item id → what covers it ("lesson backpropagation", "resource 'Python in 1 Hour'", "not covered: …")."""
    problems: tuple[str, ...] = field(default=())

    @property
    def uncovered(self) -> list[SyllabusItem]:
        """Items nothing maps to, in syllabus order."""
        return [i for i in self.items if not self.covered_by.get(i.id)]

    @property
    def covered_count(self) -> int:
        return len(self.items) - len(self.uncovered)

    @property
    def complete(self) -> bool:
        """Every item covered and no mapping mistakes."""
        return not self.uncovered and not self.problems

    def percent(self) -> str:
        """Rounded down to 0.1 so that "100" only ever means all of them."""
        if not self.items or self.covered_count == len(self.items):
            return "100"
        return f"{math.floor(1000 * self.covered_count / len(self.items)) / 10:.1f}"

    def headline(self) -> str:
        """``coverage <track-id>: N of M items (P %)``."""
        return f"coverage {self.track_id}: {self.covered_count} of {len(self.items)} items ({self.percent()} %)"


def _mappings(track: Track) -> list[tuple[int, str, str]]:
    """(module index, item id, what covers it) for every ``covers`` entry and ``not_covered`` reason."""
    out: list[tuple[int, str, str]] = [(-1, item_id, "the track's description") for item_id in track.covers]
    for m, module in enumerate(track.modules):
        out += [(m, item_id, f"module {module.id}") for item_id in module.covers]
        for entry in module.items:
            out += [(m, item_id, f"{entry.kind} {entry.id}") for item_id in entry.covers]
        for resource in module.resources:
            out += [(m, item_id, f"resource {resource.title!r}") for item_id in resource.covers]
        out += [(m, item_id, f"not covered: {reason}") for item_id, reason in module.not_covered]
    return out


def track_coverage(track: Track, items: list[SyllabusItem], syllabus_text: str) -> TrackCoverage:
    """Map ``items`` (the parsed syllabus) onto ``track``; ``syllabus_text`` is the file itself, for
    the check that every resource address is copied from it."""
    by_id = {i.id: i for i in items}
    covered: dict[str, list[str]] = {}
    problems: list[str] = []
    for _, item_id, what in _mappings(track):
        if item_id not in by_id:
            problems.append(f"{what} names {item_id!r}, which is not an item of {track.syllabus}")
            continue
        covered.setdefault(item_id, []).append(what)
    for item_id, whats in covered.items():
        if any(w.startswith("not covered") for w in whats) and len(whats) > 1:
            problems.append(f"{item_id!r} is marked not covered but is also covered by {', '.join(whats)}")
    for module in track.modules:
        for resource in module.resources:
            if resource.url and resource.url not in syllabus_text:
                problems.append(f"module {module.id}: resource {resource.title!r} has the address "
                                f"{resource.url}, which is not in {track.syllabus}")
    problems += _order_problems(track, by_id)
    return TrackCoverage(track.id, tuple(items), {k: tuple(v) for k, v in covered.items()}, tuple(problems))


def _order_problems(track: Track, by_id: dict[str, SyllabusItem]) -> list[str]:
    """Modules follow the syllabus: the sections a module stands for (its own ``covers``) never come
    before those of an earlier module."""
    problems: list[str] = []
    latest: tuple[int, str] | None = None
    for module in track.modules:
        lines = [by_id[i].line for i in module.covers if i in by_id]
        if not lines:
            continue
        if latest is not None and min(lines) < latest[0]:
            problems.append(f"module {module.id} comes after {latest[1]} in the track but before it in "
                            f"the syllabus (line {min(lines)} < {latest[0]})")
        latest = max(latest or (0, ""), (max(lines), module.id))
    return problems


def report(result: TrackCoverage, verbose: bool = False) -> list[str]:
    """The headline, then problems and uncovered items (every item with what covers it if ``verbose``)."""
    lines = [result.headline()]
    lines += [f"  problem: {p}" for p in result.problems]
    for item in result.items:
        whats = result.covered_by.get(item.id)
        if not whats:
            lines.append(f"  uncovered: {item.id} ({item.kind}, line {item.line}): {item.text}")
        elif verbose:
            lines.append(f"  {item.id} ({item.kind}, line {item.line}) ← {'; '.join(whats)}")
    return lines
