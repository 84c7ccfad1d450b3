"""pytest plugin that decides which ``artifacts().metric(name, value)`` calls reach the grader.

Both engines load it with ``-p metric_gate`` in the judge's process. The learner's code runs
in a process of its own (see ``bridge``) and has no ``metric()`` to call; a test's own helpers
(and functions of the tests that run in the judge when the learner's code calls them) do, so a
call is kept only when

- a test is running, by this plugin's own record of the item pytest is running (taken from
  ``pytest_runtest_protocol``; an environment variable the learner's code can set plays no
  part), so calls at import or collection time are dropped; and
- it comes from that test's own code: the caller of ``Artifacts.metric`` must run one of the
  code objects of the test's module, noted after collection and before any test ran, with
  that module's globals. The learner's ``train()``, a thread it started, or source it
  compiles under the test file's name all fail this check.

A kept value is filed under the running test as the user property ``metric:<name>`` (one
per name, the latest; at most ``MAX_PER_TEST`` names, the most recent). The warm engine's
result stream sends these over its pipe with the test's teardown report; the cold engine's
JUnit report writes them as ``<property>`` elements. The grader keeps only those of public
tests (``sandbox.metrics``): a hidden test's metrics are never stored.

"""
from __future__ import annotations

import sys
import types

import pytest
from _pytest import fixtures

import course_harness

PROPERTY_PREFIX = "metric:"  # sandbox.metrics.PROPERTY_PREFIX
MAX_PER_TEST = 16  # sandbox.metrics.MAX_METRICS
# What ``@pytest.fixture`` turns a function into (pytest 8.4 and later).
_FIXTURE = getattr(fixtures, "FixtureFunctionDefinition", None)


def _code_ids(module: types.ModuleType) -> tuple[frozenset[int], list[types.CodeType]]:
    """Identities of every code object defined in ``module`` (functions, methods, fixtures,
    and what they nest: lambdas, inner functions, comprehensions), with the objects themselves
    so that no identity is reused while the run lasts."""
    codes: list[types.CodeType] = []
    seen: set[int] = set()

    def add_code(code: types.CodeType) -> None:
        codes.append(code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add_code(const)

    def visit(obj) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (staticmethod, classmethod)):
            visit(obj.__func__)
        elif isinstance(obj, property):
            for accessor in (obj.fget, obj.fset, obj.fdel):
                if accessor is not None:
                    visit(accessor)
        elif _FIXTURE is not None and isinstance(obj, _FIXTURE):
            visit(obj._get_wrapped_function())
        elif isinstance(obj, types.FunctionType):
            if obj.__module__ == module.__name__:
                add_code(obj.__code__)
            wrapped = obj.__dict__.get("__wrapped__")  # functools.wraps decorators
            if wrapped is not None:
                visit(wrapped)
        elif isinstance(obj, type) and obj.__module__ == module.__name__:
            for member in list(vars(obj).values()):
                visit(member)

    for value in list(vars(module).values()):
        visit(value)
    return frozenset(id(c) for c in codes), codes


class MetricGate:
    """Files ``metric()`` calls made by the running test's own code under that test."""

    def __init__(self) -> None:
        # Bound now, before learner code runs.
        self._getframe = sys._getframe
        self._harness_code = course_harness.Artifacts.metric.__code__
        self._item = None
        self._trusted = None
        self._by_item: dict[int, tuple[dict, frozenset[int]]] = {}
        self._keep_alive: list = []
        course_harness.metric_sink = self.publish

    def pytest_collection_finish(self, session) -> None:
        by_module: dict[int, tuple[dict, frozenset[int]]] = {}
        for item in session.items:
            module = getattr(item, "module", None)
            if module is None:
                continue
            if id(module) not in by_module:
                ids, codes = _code_ids(module)
                by_module[id(module)] = (vars(module), ids)
                self._keep_alive += [module, codes]
            self._by_item[id(item)] = by_module[id(module)]
        self._keep_alive.append(list(session.items))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self._item, self._trusted = item, self._by_item.get(id(item))
        try:
            return (yield)
        finally:
            self._item, self._trusted = None, None

    def publish(self, name: str, value: float) -> None:
        """Called by ``Artifacts.metric`` with a checked name and a finite float."""
        item, trusted = self._item, self._trusted
        if item is None or trusted is None:
            return  # no test is running: import or collection time
        bridge = sys.modules.get("bridge")
        peer = getattr(bridge, "_JUDGE", None)
        if peer is not None and peer.depth:
            return  # the test's code, but called by the learner's (a callback it was handed)
        harness = self._getframe(1)
        caller = harness.f_back if harness.f_code is self._harness_code else None
        if caller is None or caller.f_globals is not trusted[0] or id(caller.f_code) not in trusted[1]:
            return  # not the test's own code: the learner's, or code compiled at run time
        key = PROPERTY_PREFIX + name
        properties = item.user_properties
        properties[:] = [p for p in properties if p[0] != key] + [(key, float(value))]
        ours = [p for p in properties if isinstance(p[0], str) and p[0].startswith(PROPERTY_PREFIX)]
        for oldest in ours[:-MAX_PER_TEST]:
            properties.remove(oldest)


def pytest_configure(config) -> None:
    """``-p metric_gate`` loads this module; the gate itself is an object with its own state."""
    config.pluginmanager.register(MetricGate(), "course-metric-gate")
