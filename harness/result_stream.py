"""pytest plugin that streams each test's outcome to the grader over an inherited pipe.

Loaded by the judge (the zygote's child that runs pytest) before the tests are collected. Results travel as JSON
lines on a pipe, not through a file in the workspace, so a fake report file or a printed
fake summary changes nothing; a run that ends before ``finish`` is sent is an error. Every
line carries a token the grader made up for this job and handed only to this plugin, so
lines the learner's code writes to the pipe's descriptor itself are recognised as forged.

With each test's teardown report it sends the metrics ``metric_gate`` filed under that test
(``metric`` events naming the test); the grader decides which tests' metrics count.

After collection (before any learner code runs) it deletes the hidden test files, so the
learner's code cannot read them, and snapshots the functions a verdict depends on (pytest's
runner, the tests' code, torch's comparisons, the harness); if any of them is replaced
while the tests run, it reports ``tampered`` and the run is not trusted.

It runs in the judge's process, which the learner's code cannot reach (see ``bridge``): the
learner's process holds neither this plugin nor the pipe nor the token. The tamper checks stay
as a second line, for code the tests themselves run in the judge.
"""
from __future__ import annotations

import builtins
import inspect
import json
import linecache
import os
import sys
import time

MAX_TEXT = 4000
METRIC_PREFIX = "metric:"  # metric_gate.PROPERTY_PREFIX
# (module, dotted attribute) pairs whose identity must not change during the run.
WATCHED = [
    ("builtins", name) for name in ("isinstance", "float", "abs", "all", "any", "len", "tuple", "getattr", "round")
] + [
    ("torch", f"Tensor.{name}") for name in (
        "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__sub__", "__abs__", "__bool__", "__float__",
        "abs", "any", "all", "item", "tolist", "detach", "to", "cpu", "allclose", "isclose", "equal", "max",
        "amax", "masked_fill", "numel", "sum")
] + [
    ("torch", name) for name in ("allclose", "isclose", "equal", "isfinite", "isnan", "argmax", "unravel_index",
                                 "float64", "testing.assert_close")
] + [
    ("torch.nn.functional", name) for name in ("cross_entropy", "softmax", "log_softmax")
] + [
    # The path a test's metric takes: replacing any of it could change the value on its way.
    ("course_harness", "Artifacts.metric"), ("course_harness", "metric_sink"),
    ("metric_gate", "MetricGate.publish"), ("metric_gate", "MetricGate.pytest_runtest_protocol"),
] + [
    ("_pytest.python", "Function.runtest"), ("_pytest.python", "pytest_pyfunc_call"),
    ("_pytest.runner", "call_and_report"), ("_pytest.runner", "runtestprotocol"),
    ("_pytest.runner", "pytest_runtest_call"), ("_pytest.runner", "CallInfo.from_call"),
    ("_pytest.reports", "TestReport.from_item_and_call"), ("_pytest.outcomes", "fail"),
]


def _resolve(module: str, dotted: str):
    """The object at ``module.dotted``, as stored (a classmethod itself, not a new bound method)."""
    obj = sys.modules.get(module) or builtins
    for part in dotted.split("."):
        obj = inspect.getattr_static(obj, part)
    return obj


class ResultStream:
    """Writes one JSON line per test phase report, and ``finish`` at the end of the session."""

    def __init__(self, fd: int, hide: list[str] = (), token: str = "") -> None:
        self._fd = fd
        self._hide = list(hide)
        self._token = token
        # Bound now, before learner code runs, so replacing os.write/json.dumps later has no effect here.
        self._write = os.write
        self._dumps = json.dumps
        self._id = id
        self._clock = time.monotonic
        self._snapshot: dict[str, int] = {}
        self._items: list = []
        self._modules: list = []
        self._tampered = False
        self._pending: list[bytes] = []

    def _send(self, record: dict) -> None:
        # Kept until the session ends: the zygote reads the stream only once the judge is done,
        # and a write per report wakes it (and costs the judge a context switch) for nothing.
        self._pending.append((self._dumps({**record, "token": self._token}) + "\n").encode("utf-8", errors="replace"))

    def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        while data:
            data = data[self._write(self._fd, data):]

    def _current(self) -> dict[str, int]:
        ids = {}
        for module, dotted in WATCHED:
            try:
                ids[f"{module}.{dotted}"] = self._id(_resolve(module, dotted))
            except AttributeError:
                ids[f"{module}.{dotted}"] = -1
        for cls_name in ("pytest_runtest_logreport", "pytest_sessionfinish", "_send", "_flush", "_check"):
            ids[f"ResultStream.{cls_name}"] = self._id(ResultStream.__dict__[cls_name])
        for item in self._items:
            function = getattr(item, "obj", None)
            ids[f"{item.nodeid}.__code__"] = self._id(getattr(function, "__code__", None))
        # The tests' module globals: rebinding a helper (say, the one measuring the validation
        # loss) would change what a test checks and publishes. New dunder names are pytest's.
        for module in self._modules:
            for name, value in tuple(module.__dict__.items()):
                if not name.startswith("__"):
                    ids[f"{module.__name__}:{name}"] = self._id(value)
        return ids

    def _check(self) -> None:
        if self._tampered:
            return
        changed = [k for k, v in self._current().items() if self._snapshot.get(k) != v]
        if changed:
            self._tampered = True
            self._send({"event": "tampered", "what": changed[:5]})

    def pytest_collection_finish(self, session) -> None:
        self._items = list(session.items)
        for item in self._items:
            module = getattr(item, "module", None)
            if module is not None and all(module is not m for m in self._modules):
                self._modules.append(module)
        for path in self._hide:
            try:
                os.unlink(path)
            except OSError:
                pass
        linecache.clearcache()
        self._snapshot = self._current()
        # The zygote's latency log: when collection ended, on the clock it shares with this process.
        self._send({"event": "collected", "at": self._clock()})

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self._send({"event": "collect_error", "nodeid": report.nodeid,
                        "text": str(report.longrepr)[-MAX_TEXT:]})

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "teardown":  # tests' own monkeypatches are undone by now
            self._check()
            for key, value in report.user_properties:
                if isinstance(key, str) and key.startswith(METRIC_PREFIX) and type(value) is float:
                    self._send({"event": "metric", "nodeid": report.nodeid,
                                "name": key[len(METRIC_PREFIX):], "value": value})
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        self._send({
            "event": "test", "nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
            "message": (crash.message if crash is not None else "")[:MAX_TEXT],
            "text": str(report.longrepr)[-MAX_TEXT:] if report.longrepr else "",
            "duration": float(report.duration),
        })

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self._check()
        self._send({"event": "finish", "exitstatus": int(exitstatus), "collected": session.testscollected})
        self._flush()
