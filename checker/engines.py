"""Which grading engine this machine gets, and what protects each run.

    engine = make_grading_engine(settings)      # WarmChecker where possible, else the cold Checker
    engine.check(spec, code, mode); engine.close()
"""
from __future__ import annotations

import logging
import os
from typing import Protocol

from checker.result import CheckResult
from checker.run import Checker
from checker.sandbox import SandboxUnavailable
from courseware.corpus import corpus_file
from courseware.settings import Settings
from courseware.spec import ExerciseSpec

log = logging.getLogger(__name__)


class GradingEngine(Protocol):
    """Anything that grades code against an exercise's tests."""

    def check(self, spec: ExerciseSpec, code: str, mode: str) -> CheckResult:
        """Grade ``code`` (``run``: public tests; ``submit``: all)."""

    def close(self) -> None:
        """Release processes the engine holds."""

    def describe(self) -> str:
        """Which protections are active, one per line (shown to admins)."""


def make_grading_engine(settings: Settings) -> GradingEngine:
    """Warm zygotes when configured and possible; otherwise the cold sandbox, with a log line why."""
    if settings.checker_mode == "warm" and settings.checker_sandbox == "bwrap":
        from checker.warm import WarmChecker

        try:
            engine = WarmChecker(settings.checker_python, settings.checker_workers, corpus_file(settings.data_dir))
            log.info("grading: warm sandboxes; protections:\n%s", engine.describe())
            return engine
        except SandboxUnavailable as exc:
            log.warning("grading: warm mode unavailable (%s); using cold sandboxed runs", exc)
    if settings.checker_sandbox == "none":
        log.warning("grading: NO SANDBOX (CHECKER_SANDBOX=none): learners' code runs as %s on this machine",
                    os.getuid())
    engine = Checker.from_settings(settings)
    log.info("grading: cold runs; protections:\n%s", engine.describe())
    return engine
