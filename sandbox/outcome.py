"""How a run ended, in the learner's words: crashes, a learner's process gone early, artifacts.

Shared by both engines (``sandbox.cold`` and ``sandbox.warm``): the same exit, signal or
artifact reads the same whichever engine graded it.
"""
from __future__ import annotations

import json
import signal
from pathlib import Path

from courseware.spec import ExerciseSpec
from harness.contract import (ARTIFACT_KINDS, EXIT_OUTPUT_LIMIT, MAX_ARTIFACT_BYTES, MAX_ARTIFACTS,
                                      MAX_FILE_BYTES)
from sandbox.result import Artifact


def error_for_crash(returncode: int, spec: ExerciseSpec, output: str, *, oom: bool = False,
                    output_truncated: bool = False) -> str | None:
    """Why a run that did not end normally is an error, in the learner's words; None if it ended normally."""
    if returncode in (0, 1) and not oom:
        return None
    sig = -returncode if returncode < 0 else None
    if oom or (sig == signal.SIGKILL and "MemoryError" in output):
        return f"Memory limit of {spec.limits.memory_mb} MB exceeded."
    if sig == signal.SIGXFSZ or returncode == EXIT_OUTPUT_LIMIT or output_truncated and returncode not in (0, 1):
        return (f"Output limit exceeded: your code printed or wrote more than {MAX_FILE_BYTES // 2**20} MB "
                f"(output truncated at {spec.limits.output_kb} KB). Print less.")
    if sig == signal.SIGXCPU:
        return f"CPU time limit exceeded ({spec.limits.time_s:g} s)."
    if sig is not None:
        return f"The test process was killed by signal {signal.Signals(sig).name} before it finished."
    if returncode == 5:
        return "No tests ran. This is a problem with the exercise; please tell your course lead."
    return (f"pytest stopped with exit status {returncode} before finishing "
            "(a crash at import, sys.exit(), or a memory limit?). Its output is below.")


def learner_gone_reason(returncode: int | None, spec: ExerciseSpec, output: str, *, oom: bool = False,
                        output_truncated: bool = False) -> str:
    """Why the learner's process ended while the tests still needed it, in the learner's words."""
    if returncode not in (None, 0, 1):
        crash = error_for_crash(returncode, spec, output, oom=oom, output_truncated=output_truncated)
        if crash is not None and not crash.startswith("pytest stopped"):
            return crash
    code = f" (exit status {returncode})" if returncode is not None and returncode >= 0 else ""
    return (f"Your code ended the process it runs in{code} before the tests were done with it: "
            "do not call sys.exit() or os._exit() in an exercise.")


def read_artifacts(folder: Path) -> list[Artifact]:
    """Artifacts the tests published in ``folder``, size-checked; malformed ones are skipped."""
    texts = []
    for path in sorted(folder.glob("*.json"))[:MAX_ARTIFACTS]:
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_ARTIFACT_BYTES:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return decode_artifacts(texts)


def decode_artifacts(texts: list[str]) -> list[Artifact]:
    """Artifacts from raw JSON texts; anything that is not a well-formed artifact is dropped."""
    found: list[Artifact] = []
    for text in texts[:MAX_ARTIFACTS]:
        try:
            record = json.loads(text)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("kind") in ARTIFACT_KINDS:
            found.append(Artifact(str(record.get("name", "artifact"))[:100], record["kind"], json.dumps(record)))
    return found
