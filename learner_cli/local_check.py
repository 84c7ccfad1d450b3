"""Run an exercise's public tests on the learner's own machine, as *Run* does on the server.

    view = check_locally(bundle, code, python=sys.executable, timeout_s=90)

``bundle`` is what ``GET /api/v1/exercises/<id>/public`` returns: the public tests, support
modules and harness under their workspace names. They go into a fresh temporary folder with
the learner's code as ``submission.py``; pytest runs there (no sandbox: it is the learner's
own code on the learner's own machine) and its JUnit report is read by the grader's own
parser, so a test counts the same way it does on the server. The result is a verdict mapping
like the API's, for ``verdicts.table``.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from grading.intake import inspect_code
from sandbox.public_files import CODE_FILE
from sandbox.report import ReportError, parse_junit
from sandbox.workspace import expected_tests
from learner_cli.client import CliError

DEFAULT_MAX_CODE_BYTES = 64 * 1024
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.py")
MAX_OUTPUT_BYTES = 1024 * 1024
MAX_ARTIFACTS = 20
PYTEST_INI = "[pytest]\naddopts =\n"
"""An empty configuration in the run folder, so no pytest.ini or conftest above it applies."""


def check_locally(bundle: dict[str, Any], code: str, *, python: str, timeout_s: float,
                  shown_as: str = CODE_FILE) -> dict[str, Any]:
    """Run the bundle's public tests against ``code`` with ``python``; a verdict mapping (mode ``check``).

    Code the server would refuse (empty, too large, a syntax error) is refused the same way,
    without running. Paths to the temporary copy of the code read as ``shown_as`` (the learner's file).
    """
    files, code_file, test_files = _unpack(bundle)
    view: dict[str, Any] = {"exercise_id": bundle.get("exercise_id", "?"), "mode": "check", "status": "error",
                            "error_reason": None, "score": None, "points": 0, "tests": [], "artifacts": [],
                            "output": None, "late_minutes": None}
    _, problem = inspect_code(code, int(bundle.get("max_code_bytes") or DEFAULT_MAX_CODE_BYTES))
    if problem:
        return view | {"error_reason": problem}
    with tempfile.TemporaryDirectory(prefix="dl-course-check-") as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        (folder / code_file).write_text(code, encoding="utf-8")
        (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
        (folder / "artifacts").mkdir()
        returncode, output, timed_out = _run_pytest(folder, python, test_files, timeout_s)
        copy = str(folder / code_file)
        # pytest names the copy by its full path or, in short tracebacks, as "submission.py:LINE".
        output = re.sub(rf"(?<![\w/.-]){re.escape(code_file)}(?=:\d)", lambda _: shown_as,
                        output.replace(copy, shown_as))
        view |= {"artifacts": _artifacts(folder / "artifacts"), "output": output}
        if timed_out:
            return view | {"error_reason": f"The tests ran longer than {timeout_s:g} s on this machine and were "
                                           "stopped (an endless loop? pass --timeout to allow more)."}
        if re.search(r"No module named pytest\s*$", output, re.MULTILINE):
            raise CliError(f"pytest is not installed for {python}; install it (and torch) with "
                           f"`{python} -m pip install pytest torch`, or pass --python.")
        if returncode not in (0, 1):
            return view | {"error_reason": _crash_reason(returncode)}
        expected = {name: expected_tests(folder / name) for name in test_files}
        try:
            tests = parse_junit(folder / "report.xml", {name: "public" for name in test_files}, expected)
        except ReportError as exc:
            return view | {"error_reason": str(exc)}
    passed = all(t.outcome == "passed" for t in tests)
    rows = [t.as_row() | {"message": t.message.replace(copy, shown_as)} for t in tests]
    return view | {"status": "passed" if passed else "failed", "tests": rows}


def _unpack(bundle: dict[str, Any]) -> tuple[dict[str, str], str, list[str]]:
    """The bundle's files, code file name and test files, refusing names that could leave the folder."""
    files, code_file, test_files = bundle.get("files"), bundle.get("code_file"), bundle.get("test_files")
    if not (isinstance(files, dict) and isinstance(code_file, str) and isinstance(test_files, list)):
        raise CliError("The server sent an incomplete exercise (no files); is it the course server?")
    for name in [*files, code_file, *test_files]:
        if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
            raise CliError(f"The server sent a file named {name!r}, which this client refuses to write.")
    if not all(isinstance(text, str) for text in files.values()) or not set(test_files) <= set(files):
        raise CliError("The server sent an exercise whose test files are missing.")
    return files, code_file, test_files


def _run_pytest(folder: Path, python: str, test_files: list[str], timeout_s: float) -> tuple[int, str, bool]:
    """pytest in ``folder`` (its own process group, killed whole on time-out): exit status, output,
    whether it timed out."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               COURSE_ARTIFACT_DIR=str(folder / "artifacts"))
    argv = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(folder / "pytest.ini"),
            "--rootdir", str(folder), "-o", "junit_family=xunit2", "--junitxml", str(folder / "report.xml"),
            "--tb=short", *test_files]
    with open(folder / "output.txt", "wb") as out:
        try:
            proc = subprocess.Popen(argv, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=(os.name == "posix"))
        except OSError as exc:
            raise CliError(f"Cannot start {python} ({exc}); pass --python with a Python that has pytest and torch.")
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
    with open(folder / "output.txt", "rb") as out:
        output = out.read(MAX_OUTPUT_BYTES).decode("utf-8", errors="replace")
    return proc.returncode, output, timed_out


def _kill(proc: subprocess.Popen) -> None:
    """Stop pytest and whatever it started."""
    if os.name == "posix":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    else:
        proc.kill()
    proc.wait()


def _crash_reason(returncode: int) -> str:
    if returncode < 0:
        return (f"The test process was killed by signal {signal.Signals(-returncode).name} before it "
                "finished (out of memory?).")
    if returncode == 5:
        return "No tests ran: the exercise's test file defines none. Please tell your course lead."
    return (f"pytest stopped with exit status {returncode} before finishing (a crash at import, "
            "sys.exit(), or a missing package such as torch?). Its output is below.")


def _artifacts(folder: Path) -> list[dict[str, Any]]:
    """What the tests published (the harness writes one JSON file per plot or text)."""
    found = []
    for path in sorted(folder.glob("*.json"))[:MAX_ARTIFACTS]:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("kind") in ("line", "heatmap", "text"):
            found.append(record)
    return found
