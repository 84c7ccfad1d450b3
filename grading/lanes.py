"""Lanes: short work never waits behind long work, and one learner cannot fill every slot.

Every job travels in one lane, which is also its queue's name:

- ``cpu``: short CPU work, an exercise whose time limit is at most ``SHORT_JOB_MAX_S``;
- ``long``: training labs (a longer time limit) and runs on the learner's own text;
- ``gpu``: work for a GPU worker.

The local pool keeps some slots for short work only (``slot_lanes``); with Celery each lane is a
queue with workers of its own (``python -m grading.worker --queues long``). Within the local pool
a learner has at most one job running per lane (``next_job``), and a newer *Run* of an exercise
replaces their older one still waiting (``grading.service``). These are plain rules, tested
on their own; ``grading.queue.LocalPool`` applies them.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SHORT, LONG, GPU = "cpu", "long", "gpu"
LANES = (SHORT, LONG, GPU)
"""Every lane, which is also the name of its queue."""
SHORT_JOB_MAX_S = 60
"""An exercise whose time limit is above this goes to the long lane."""
LANE_NAMES = {SHORT: "short-job lane", LONG: "long-job lane", GPU: "GPU lane"}


def lane_for(time_limit_s: float, *, device: str, own_text: bool, gpu_available: bool) -> str:
    """The lane of one job: GPU work where a GPU worker is alive, else long or short by its size."""
    if device in ("gpu", "gpu-preferred") and gpu_available:
        return GPU
    if own_text or time_limit_s > SHORT_JOB_MAX_S:
        return LONG
    return SHORT


def slot_lanes(slots: int, long_slots: int) -> list[frozenset[str]]:
    """Which lanes each local slot serves: the last ``long_slots`` slots take any lane, the others
    short work only, so long work never holds every slot (unless there is a single slot)."""
    long_slots = max(1, min(long_slots, slots))
    anything = frozenset(LANES)
    return [frozenset({SHORT}) if i < slots - long_slots else anything for i in range(slots)]


@dataclass(frozen=True)
class Waiting:
    """A job the local pool has not started yet."""

    submission_id: int
    lane: str
    owner: int | None
    """The learner it belongs to (None: no per-learner limit, e.g. work recovered at start)."""


def next_job(waiting: Sequence[Waiting], lanes: frozenset[str],
             running: Mapping[tuple[str, int], int]) -> Waiting | None:
    """The oldest waiting job a slot serving ``lanes`` may start: in one of its lanes, and not of
    a learner who already has a job running in that lane (``running``: (lane, owner) → jobs)."""
    for job in waiting:
        if job.lane in lanes and (job.owner is None or running.get((job.lane, job.owner), 0) == 0):
            return job
    return None


def wait_estimate_s(position: int, lane_slots: int, recent_durations_s: Sequence[float]) -> float | None:
    """Seconds until a job at ``position`` (1: next) in a lane of ``lane_slots`` slots has its
    verdict, from the lane's recent job durations; None without any history."""
    if not recent_durations_s or lane_slots < 1 or position < 1:
        return None
    typical = statistics.median(recent_durations_s)
    rounds_before = math.ceil(position / lane_slots) - 1
    # The jobs ahead finish in rounds of ``lane_slots``; on average the current round is half done.
    return typical * (rounds_before + 0.5) + typical


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
