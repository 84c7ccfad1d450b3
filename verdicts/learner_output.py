"""pytest's console output as a learner may see it, for Run and Submit alike.

    learner_output(raw, tests)   # raw: what the sandboxed pytest printed; tests: the verdict's per-test dicts

- Hidden tests stay hidden: their sections under FAILURES / ERRORS (traceback, source lines, what
  the code printed while they ran), their lines in the short summary and any warning raised in
  ``test_hidden.py`` are left out; one line says how many were left out. What they found is in
  the verdict's per-test messages, which never include their source (``sandbox.report.explain``).
- Nothing about the server: absolute paths (the sandbox's job folder, the harness's install
  folder, the host's virtual environment) are cut to the file name, or to the part after
  ``site-packages/``; pytest's internal warnings (``PytestAssertRewriteWarning``) and its
  "-- Docs:" pointer are dropped.

Standard library only: the grading service calls it on every verdict it shows.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

HIDDEN_FILES = ("test_hidden.py",)
"""The workspace name of the hidden tests (``sandbox.workspace.selected_tests``)."""
INTERNAL_WARNINGS = ("PytestAssertRewriteWarning",)

_SECTION = re.compile(r"^={5,} (.+?) ={5,}$")
_TEST_HEADER = re.compile(r"^_{3,} (.+?) _{3,}$")
_PATH = re.compile(r"(?<![\w./:])(?:(?:\.\./)+|/)(?:[\w.+@~-]+/)+([\w.+@~-]*)")
_SUMMARY_LINE = re.compile(r"^(FAILED|ERROR|XFAIL|XPASS|SKIPPED)\b")


def learner_output(raw: str | None, tests: Sequence[Mapping[str, Any]] = ()) -> str | None:
    """``raw`` without hidden tests' sections, internal warnings and server paths (None stays None)."""
    if raw is None:
        return None
    hidden = {_plain_name(t["name"]) for t in tests if t.get("visibility") == "hidden"}
    lines, left_out = _drop_hidden(raw.splitlines(), hidden)
    text = "\n".join(lines)
    text = _PATH.sub(_short_path, text)
    if left_out:
        text = text.rstrip("\n") + (f"\n\n[{left_out} hidden test section{'s' if left_out != 1 else ''} left out: "
                                    "hidden tests show only their message, in the verdict above]")
    return text + ("\n" if raw.endswith("\n") and not text.endswith("\n") else "")


def _plain_name(name: str) -> str:
    """``TestX::test_y[3]`` → ``TestX.test_y[3]``, as pytest titles a failure's section."""
    return name.replace("::", ".")


def _is_hidden_title(title: str, hidden: set[str]) -> bool:
    title = re.sub(r"^(ERROR|FAILURE) (at|collecting) (setup|teardown|call)? ?(of )?", "", title).strip()
    return title in hidden or any(f in title for f in HIDDEN_FILES) or re.sub(r"\[.*\]$", "", title) in {
        re.sub(r"\[.*\]$", "", h) for h in hidden}


def _drop_hidden(lines: list[str], hidden: set[str]) -> tuple[list[str], int]:
    """``lines`` without hidden tests' sections, summary lines and warnings, nor internal warnings;
    and how many hidden sections were left out."""
    kept: list[str] = []
    section = ""
    skipping = False
    left_out = 0
    warning_block: list[str] = []
    warnings_heading: int | None = None  # where in ``kept`` the warnings heading is, until a warning is kept

    def end_warning() -> None:
        """One warning (its lines up to a blank one) is kept unless internal or raised in a hidden test."""
        nonlocal warnings_heading
        block = "\n".join(warning_block)
        if warning_block and not any(w in block for w in INTERNAL_WARNINGS) and not any(
                f in block for f in HIDDEN_FILES):
            kept.extend(warning_block + [""])
            warnings_heading = None
        warning_block.clear()

    def end_warnings() -> None:
        nonlocal warnings_heading
        end_warning()
        if warnings_heading is not None:  # nothing left to show under it
            del kept[warnings_heading]
            warnings_heading = None

    for line in lines:
        heading = _SECTION.match(line)
        if heading:
            if section == "warnings summary":
                end_warnings()
            section = heading.group(1).strip().lower()
            skipping = False
            if section == "warnings summary":
                warnings_heading = len(kept)
            kept.append(line)
            continue
        if section in ("failures", "errors"):
            header = _TEST_HEADER.match(line)
            if header:
                skipping = _is_hidden_title(header.group(1), hidden)
                left_out += skipping
            if not skipping:
                kept.append(line)
            continue
        if section == "warnings summary":
            if line.startswith("-- Docs:"):  # pytest's last line of the section
                end_warnings()
                section = ""
            elif not line.strip():
                end_warning()
            else:
                warning_block.append(line)
            continue
        if section == "short test summary info" and _SUMMARY_LINE.match(line):
            if any(f"{f}::" in line for f in HIDDEN_FILES):
                continue
        kept.append(line)
    if section == "warnings summary":
        end_warnings()
    return kept, left_out


def _short_path(match: re.Match[str]) -> str:
    path = match.group(0)
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    return match.group(1) or path.rstrip("/").rsplit("/", 1)[-1]
