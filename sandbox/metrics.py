"""Numbers the tests publish (``artifacts().metric("val_loss", 1.42)``), as the grader keeps them.

Inside the sandbox the ``metric_gate`` plugin passes on a call only when it comes from the
running test's own code, and files it under that test. The warm engine's result stream sends
those as ``metric`` events naming the test; the cold engine's JUnit report lists them as the
test case's ``metric:<name>`` properties. Here the grader keeps only the metrics of *public*
tests: a hidden test's are dropped, since on Submit the hidden tests run the learner's code
again after the public tests published. Among the rest the last write of a name wins, and
when a run publishes more names than the cap, the most recently written ones are kept.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from sandbox.result import Metric
from courseware.spec import METRIC_NAME

MAX_METRICS = 16
PROPERTY_PREFIX = "metric:"
"""How ``metric_gate`` names a metric among a test's user properties (and JUnit properties)."""
MAX_REPORT_BYTES = 4 * 1024 * 1024  # as sandbox.report, which refuses a larger report


def keep_latest(published: Iterable[tuple[str, object, object]], visibility_by_file: dict[str, str]
                ) -> tuple[Metric, ...]:
    """Metrics from ``(test file, name, value)`` triples in the order they were published.

    A triple counts only if its test file is public, its name is ``[a-z_]{1,64}`` and its value
    a finite number (not a bool); the last write of a name wins and at most ``MAX_METRICS``
    names are kept, the most recently written.
    """
    latest: dict[str, float] = {}
    for test_file, name, value in published:
        if visibility_by_file.get(test_file) != "public":
            continue
        if not isinstance(name, str) or not METRIC_NAME.fullmatch(name):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        latest.pop(name, None)  # re-inserted at the end: dict order is the order of last writes
        latest[name] = float(value)
    kept = list(latest.items())[-MAX_METRICS:]
    return tuple(Metric(name, value) for name, value in sorted(kept))


def metrics_from_stream(records: list, visibility_by_file: dict[str, str]) -> tuple[Metric, ...]:
    """The public tests' metrics among the warm engine's result records (already authenticated)."""
    published = []
    for record in records:
        if isinstance(record, dict) and record.get("event") == "metric" and isinstance(record.get("nodeid"), str):
            published.append((record["nodeid"].partition("::")[0], record.get("name"), record.get("value")))
    return keep_latest(published, visibility_by_file)


def metrics_from_junit(path: Path, visibility_by_file: dict[str, str]) -> tuple[Metric, ...]:
    """The public tests' metrics in the cold engine's JUnit report (none if it is unreadable)."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_REPORT_BYTES:
            return ()
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return ()
    published = []
    for case in root.iter("testcase"):
        test_file = (case.get("classname") or "").split(".")[0] + ".py"
        for prop in case.iter("property"):
            key, text = prop.get("name") or "", prop.get("value") or ""
            if key.startswith(PROPERTY_PREFIX):
                try:
                    value = float(text)
                except ValueError:
                    continue
                published.append((test_file, key[len(PROPERTY_PREFIX):], value))
    return keep_latest(published, visibility_by_file)
