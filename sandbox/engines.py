"""Which grading engine this machine gets, and what protects each run.

    engine = make_grading_engine(settings)      # WarmChecker where possible, else the cold Checker
    engine.check(spec, code, mode); engine.close()
"""
from __future__ import annotations

import logging
import os
from typing import Callable, Protocol

from sandbox.gpu import GpuAccess
from sandbox.result import Artifact, CheckResult
from sandbox.cold import Checker
from sandbox.isolation import SandboxUnavailable
from courseware.corpus import corpus_file
from courseware.pretrained import ensure_models_dir
from config import Settings
from courseware.spec import ExerciseSpec

log = logging.getLogger(__name__)


class GradingEngine(Protocol):
    """Anything that grades code against an exercise's tests."""

    def check(self, spec: ExerciseSpec, code: str, mode: str, inputs: dict[str, str] | None = None,
              on_live: Callable[[list[Artifact]], None] | None = None) -> CheckResult:
        """Grade ``code`` (``run``: public tests; ``submit``: all). With ``inputs`` (the learner's own
        files, ``run`` only) the exercise's playground file runs instead, with the files beside it.
        ``on_live`` receives charts the run keeps replacing while it goes on, where the engine can."""

    def close(self) -> None:
        """Release processes the engine holds."""

    def describe(self) -> str:
        """Which protections are active, one per line (shown to admins)."""


def make_grading_engine(settings: Settings, slots: int | None = None, gpu: GpuAccess | None = None) -> GradingEngine:
    """Warm zygotes when configured and possible; otherwise the cold sandbox, with a log line why.

    ``slots`` defaults to CHECKER_WORKERS. ``gpu`` exposes that GPU to the warm sandboxes; the cold
    engine grades on the CPU only (GPU workers run as root, so they get the warm engine).
    """
    slots = slots or settings.checker_workers
    if settings.checker_mode == "warm" and settings.checker_sandbox == "bwrap":
        from sandbox.warm import WarmChecker

        try:
            engine = WarmChecker(settings.checker_python, slots, corpus_file(settings.data_dir), gpu=gpu,
                                 models=ensure_models_dir(settings.data_dir))
            log.info("grading: warm sandboxes; protections:\n%s", engine.describe())
            return engine
        except SandboxUnavailable as exc:
            log.warning("grading: warm mode unavailable (%s); using cold sandboxed runs", exc)
    if settings.checker_sandbox == "none":
        log.warning("grading: NO SANDBOX (CHECKER_SANDBOX=none): learners' code runs as %s on this machine",
                    os.getuid())
    if gpu is not None:
        log.warning("grading: the cold engine does not expose the GPU; gpu-preferred exercises run their CPU profile")
    engine = Checker.from_settings(settings)
    log.info("grading: cold runs; protections:\n%s", engine.describe())
    return engine
