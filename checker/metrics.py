"""Numbers the tests publish (``artifacts().metric("val_loss", 1.42)``), read back after a run.

The harness appends one JSON line per call to ``metrics.jsonl`` in the run's artifact folder;
both engines hand that file's text here. The learner's code runs in the same process as the
tests and can write to the same file, so what is kept is decided by order: a test publishes
after the learner's function has returned, so the last write of a name wins, and when a run
publishes more names than the cap, the most recently written ones are kept. Only the file's
tail is read, for the same reason: the tests' own writes are at its end.
"""
from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

from checker.result import Metric
from courseware.spec import METRIC_NAME

METRICS_FILE = "metrics.jsonl"
MAX_METRICS = 16
MAX_METRICS_BYTES = 64 * 1024
"""How much of the file's end is read; a longer file has its start (the oldest lines) ignored."""


def decode_metrics(text: str) -> tuple[Metric, ...]:
    """Metrics from the JSON lines of ``metrics.jsonl``: last write per name wins.

    A line is kept only if it is ``{"name": <[a-z_]{1,64}>, "value": <finite number>}``;
    anything else (a torn first line of a tail, NaN, a bad name, a string value) is dropped.
    """
    latest: dict[str, float] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        name, value = record.get("name"), record.get("value")
        if not isinstance(name, str) or not METRIC_NAME.fullmatch(name):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        latest.pop(name, None)  # re-inserted at the end: dict order is the order of last writes
        latest[name] = float(value)
    kept = list(latest.items())[-MAX_METRICS:]
    return tuple(Metric(name, value) for name, value in sorted(kept))


def read_metrics_tail(folder: Path) -> str:
    """The last ``MAX_METRICS_BYTES`` of ``folder/metrics.jsonl`` ('' unless it is a plain file)."""
    try:
        # O_NONBLOCK: a FIFO planted under that name must not make the grader wait forever.
        fd = os.open(folder / METRICS_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return ""
        size = info.st_size
        start = max(0, size - MAX_METRICS_BYTES)
        f.seek(start)
        data = f.read(MAX_METRICS_BYTES)
    text = data.decode("utf-8", errors="replace")
    # A tail that starts mid-line would offer a fragment as a record; drop it.
    return text.partition("\n")[2] if start > 0 else text


def read_metrics(folder: Path) -> tuple[Metric, ...]:
    """The metrics a run left in its artifact folder."""
    return decode_metrics(read_metrics_tail(folder))
