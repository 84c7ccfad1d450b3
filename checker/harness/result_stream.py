"""pytest plugin that streams each test's outcome to the grader over an inherited pipe.

Loaded by the zygote's child before any learner code is imported. Results travel as JSON
lines on a pipe, not through a file in the workspace, so a fake report file or a printed
fake summary changes nothing; a run that ends before ``finish`` is sent is an error.
"""
from __future__ import annotations

import json
import os

MAX_TEXT = 4000


class ResultStream:
    """Writes one JSON line per test phase report, and ``finish`` at the end of the session."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        # Bound now, before learner code runs, so replacing os.write/json.dumps later has no effect here.
        self._write = os.write
        self._dumps = json.dumps

    def _send(self, record: dict) -> None:
        data = (self._dumps(record) + "\n").encode("utf-8", errors="replace")
        while data:
            data = data[self._write(self._fd, data):]

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self._send({"event": "collect_error", "nodeid": report.nodeid,
                        "text": str(report.longrepr)[-MAX_TEXT:]})

    def pytest_runtest_logreport(self, report) -> None:
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        self._send({
            "event": "test", "nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
            "message": (crash.message if crash is not None else "")[:MAX_TEXT],
            "text": str(report.longrepr)[-MAX_TEXT:] if report.longrepr else "",
            "duration": float(report.duration),
        })

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self._send({"event": "finish", "exitstatus": int(exitstatus), "collected": session.testscollected})
