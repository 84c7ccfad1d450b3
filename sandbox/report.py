"""Turn pytest's JUnit XML into per-test outcomes, and refuse reports that are not complete.

A report is trusted only when it exists, parses, and mentions every test the trusted copy
of the test files defines; anything less makes the run an error (no points).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from sandbox.result import TestOutcome
from courseware.spec import Limits

MAX_REPORT_BYTES = 4 * 1024 * 1024
MAX_MESSAGE_CHARS = 1500


class ReportError(Exception):
    """The report is missing, malformed or incomplete; the message is for the learner."""


def parse_junit(path: Path, visibility_by_file: dict[str, str], expected: dict[str, set[str]]) -> list[TestOutcome]:
    """Read ``path`` and return one outcome per test; raise ReportError if it cannot be trusted.

    ``expected`` maps a test file name to the test names it must contain.
    """
    if not path.is_file():
        raise ReportError("The test run stopped before pytest wrote its report "
                          "(does your code call sys.exit(), os._exit() or kill its own process?).")
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise ReportError("The test report is too large to read; print less from your code.")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        raise ReportError("The test report is damaged (was it overwritten by your code?).") from None
    outcomes: list[TestOutcome] = []
    seen: dict[str, set[str]] = {name: set() for name in expected}
    for case in root.iter("testcase"):
        module = (case.get("classname") or "").split(".")[0]
        file_name = f"{module}.py"
        name = case.get("name", "?")
        cls = (case.get("classname") or "").split(".")[1:]
        if file_name not in visibility_by_file:
            if module in ("", "submission", "conftest", "course_harness"):
                continue
            raise ReportError(f"The report mentions an unknown test file {file_name!r}.")
        full = "::".join(cls + [name])
        seen[file_name].add(re.sub(r"\[.*\]$", "", full))
        outcomes.append(_outcome(case, full, visibility_by_file[file_name]))
    collection = _collection_errors(root)
    if collection:
        raise ReportError(collection)
    _require_every_test(seen, expected)
    return outcomes


def _require_every_test(seen: dict[str, set[str]], expected: dict[str, set[str]]) -> None:
    """A report that lacks a test the trusted copy defines is not a complete report."""
    for file_name, names in expected.items():
        missing = names - seen.get(file_name, set())
        if missing:
            raise ReportError("The test run ended before every test reported "
                              f"({len(missing)} of {len(names)} tests in {file_name} have no result).")


def _outcome(case: ET.Element, name: str, visibility: str) -> TestOutcome:
    duration = float(case.get("time") or 0.0)
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        node = case.find(tag)
        if node is not None:
            return TestOutcome(name, visibility, outcome, learner_message(node, visibility), duration)
    return TestOutcome(name, visibility, "passed", "", duration)


def learner_message(node: ET.Element, visibility: str) -> str:
    """The failure message of a JUnit ``failure``/``error`` element (see ``explain``)."""
    return explain(node.get("message") or "", node.text or "", visibility)


def explain(message: str, text: str, visibility: str, limits: Limits | None = None) -> str:
    """The failure message, with the line of submission.py it came from when known, and a
    plain-words reason for failures the sandbox causes (no network, process or memory limit).

    Hidden tests never show their traceback (it would reveal their source), only the message.
    """
    message = message.strip()
    message = re.sub(r"^(AssertionError|Failed):\s*", "", message)
    # pytest appends the failing assert's introspection after the first line; the harness's
    # messages are complete sentences, so the first paragraph is what the learner needs.
    message = message.split("\nassert ")[0].strip()
    lines = re.findall(r"submission\.py:(\d+)", text)
    if lines:
        message += f" (in your code, line {lines[-1]})"
    if visibility == "public" and not message:
        message = text.strip().splitlines()[-1] if text.strip() else ""
    for pattern, reason in _SANDBOX_REASONS:
        if re.search(pattern, message):
            message = f"{reason.format(limits=limits or Limits())} ({message})"
            break
    return message[:MAX_MESSAGE_CHARS]


# Errors the sandbox causes on purpose, said in words a learner can act on.
_SANDBOX_REASONS = (
    (r"Network is unreachable|Connection refused|Temporary failure in name resolution|gaierror|Name or service not known"
     r"|Address family not supported|Cannot assign requested address",
     "Network is not available in exercises"),
    (r"^(BlockingIOError|OSError).*Resource temporarily unavailable|can't start new thread",
     "Process limit of {limits.processes} reached: your code started too many processes or threads"),
    (r"^MemoryError|Cannot allocate memory|DefaultCPUAllocator: can't allocate memory",
     "Memory limit of {limits.memory_mb} MB exceeded"),
    (r"File too large|Errno 27",
     "Output limit exceeded: your code printed or wrote more than 16 MB"),
    (r"Read-only file system|Permission denied",
     "Not allowed in exercises: code may read its own folder and write only to /tmp and the artifacts folder"),
)


def outcomes_from_stream(records: list[dict], visibility_by_file: dict[str, str], expected: dict[str, set[str]],
                         limits: Limits | None = None) -> list[TestOutcome]:
    """Per-test outcomes from the zygote's result stream; ReportError unless it is complete."""
    tampered = next((r for r in records if r.get("event") == "tampered"), None)
    if tampered is not None:
        what = ", ".join(str(w) for w in tampered.get("what", []))[:300]
        raise ReportError("Your code replaced part of the test framework or of the checking functions "
                          f"({what}); the run was not trusted and earns no points.")
    if any(r.get("event") == "garbage" for r in records):
        raise ReportError("The test results were tampered with (unreadable data on the grader's channel).")
    errors = [r for r in records if r.get("event") == "collect_error"]
    if errors:
        last = next((ln for ln in reversed(errors[0].get("text", "").splitlines()) if ln.startswith("E ")), "")
        raise ReportError("The tests could not be loaded: " + (last.removeprefix("E").strip()[:500] or "see output"))
    if not any(r.get("event") == "finish" for r in records):
        raise ReportError("The test run stopped before it finished "
                          "(does your code call sys.exit(), os._exit() or kill its own process?).")
    merged: dict[str, dict] = {}
    for r in records:
        if r.get("event") != "test":
            continue
        entry = merged.setdefault(r["nodeid"], {"outcome": "passed", "message": "", "text": "", "duration": 0.0})
        entry["duration"] += float(r.get("duration") or 0.0)
        if r["outcome"] == "failed" and entry["outcome"] not in ("failed", "error"):
            entry.update(outcome="failed" if r["when"] == "call" else "error",
                         message=r.get("message", ""), text=r.get("text", ""))
        elif r["outcome"] == "skipped" and entry["outcome"] == "passed":
            entry.update(outcome="skipped", message=r.get("message", ""))
    seen: dict[str, set[str]] = {name: set() for name in expected}
    outcomes = []
    for nodeid, entry in merged.items():
        file_name, _, name = nodeid.partition("::")
        if file_name not in visibility_by_file:
            raise ReportError(f"The results mention an unknown test file {file_name!r}.")
        seen[file_name].add(re.sub(r"\[.*\]$", "", name))
        visibility = visibility_by_file[file_name]
        message = "" if entry["outcome"] == "passed" else explain(entry["message"], entry["text"], visibility, limits)
        outcomes.append(TestOutcome(name, visibility, entry["outcome"], message, entry["duration"]))
    _require_every_test(seen, expected)
    return outcomes


def _collection_errors(root: ET.Element) -> str | None:
    """Errors that stopped pytest from even collecting tests (e.g. a crash at import)."""
    for case in root.iter("testcase"):
        err = case.find("error")
        if err is not None and not case.get("name"):
            return _import_message(err)
        if err is not None and (err.get("message") or "").startswith("collection failure"):
            return _import_message(err)
    return None


def _import_message(err: ET.Element) -> str:
    text = (err.text or "").strip().splitlines()
    last = next((ln for ln in reversed(text) if ln.startswith("E ")), text[-1] if text else "")
    return "Your code could not be imported: " + last.removeprefix("E").strip()[:500]
