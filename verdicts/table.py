"""The verdict table, built once for the page (``ui/verdict.py``) and the command line.

A verdict here is a plain mapping with the fields of ``grading.service.VerdictView``
(``mode``, ``status``, ``tests``, ``score``, ``points``, ``late_minutes``, ``error_reason``,
``artifacts``, ``output``): the page passes ``dataclasses.asdict(view)``, the command-line
client the JSON the learner API returns. Nothing here imports Streamlit or the database, so
the client runs on a learner's machine with the standard library alone.

    rows = verdict_rows(view["tests"])        # what st.dataframe draws
    print(render_text(view))                  # the same table as plain text
    verdict_summary(view)                     # the page's line: "… 7 of 10 tests passed · 14/20 points"
    failing_tests(view["tests"])              # the page's cards, broken rules first
    expected_got(message)                     # ("(3, 4)", "(4, 3)") where a message says both
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from verdicts.failure_class import RULE

ICONS = {"passed": "✅", "failed": "❌", "error": "⚠️", "skipped": "⏭️"}
MODE_LABELS = {
    "run": "Run (public tests)",
    "submit": "Submit (all tests)",
    "check": "Check (public tests, run on this machine)",
}
OWN_TEXT_LABEL = "Run on your own text"
TEXT_COLUMNS = ("test", "kind", "result", "seconds", "message")
"""The page's columns less the icon (terminals draw emoji at unpredictable widths), with the
message last so a long one can run to the end of the line without breaking the columns."""
MAX_OUTPUT_CHARS = 8000




def broken_rules(tests: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the rule tests that failed (the grader marks them with the ``rule`` error class)."""
    return [t["name"] for t in tests if t.get("error_class") == RULE]


def verdict_rows(tests: Sequence[Mapping[str, Any]]) -> list[dict[str, object]]:
    """One row per test: broken rules first, then the others in the order the tests reported;
    icon, name, kind, result, message, seconds."""
    ordered = sorted(tests, key=lambda t: t.get("error_class") != RULE)
    return [{"": ICONS.get(t["outcome"], "?"), "test": t["name"],
             "kind": "rule" if t.get("error_class") == RULE else t["visibility"],
             "result": t["outcome"], "message": t["message"], "seconds": round(float(t["duration_s"]), 3)}
            for t in ordered]


def rule_notice(view: Mapping[str, Any]) -> str:
    """Why a run with a broken rule scores 0 (empty when every rule held)."""
    broken = broken_rules(view.get("tests") or [])
    if not broken:
        return ""
    what = "the rule checked by " + ", ".join(broken)
    return (f"Rule broken ({what}): a solution that breaks the exercise's rules earns no points, "
            "however many other tests pass. Fix that first; its message below says how.")


def mode_label(view: Mapping[str, Any]) -> str:
    """``Run (public tests)``, ``Submit (all tests)``…; a run with the learner's own files
    (``inputs``: a playground run, never graded) is ``Run on your own text``."""
    if view.get("inputs"):
        return OWN_TEXT_LABEL
    return MODE_LABELS.get(view["mode"], view["mode"])


def verdict_headline(view: Mapping[str, Any], strong: str = "") -> str:
    """``Submit (all tests): passed — 3/3 tests passed, score 10/10``; ``strong`` wraps the status
    (``"**"`` on the page)."""
    label = mode_label(view)
    tests = view.get("tests") or []
    passed = sum(t["outcome"] == "passed" for t in tests)
    headline = f"{label}: {strong}{view['status']}{strong} — {passed}/{len(tests)} tests passed"
    if view["mode"] == "submit" and view.get("score") is not None:
        headline += f", score {view['score']:g}/{view.get('points', 0)}"
    if broken_rules(tests):
        headline += " · rule broken"
    if view.get("late_minutes"):
        headline += f" · submitted {view['late_minutes']} min late (recorded)"
    return headline


def verdict_summary(view: Mapping[str, Any], strong: str = "**") -> str:
    """The page's one line: ``Submit (all tests): **failed** — 7 of 10 tests passed · 14/20 points``, then
    the broken rule and lateness as in ``verdict_headline``. Points are a *Submit*'s only."""
    tests = view.get("tests") or []
    passed = sum(t["outcome"] == "passed" for t in tests)
    line = f"{mode_label(view)}: {strong}{view['status']}{strong} — {passed} of {len(tests)} tests passed"
    if view["mode"] == "submit" and view.get("score") is not None:
        line += f" · {view['score']:g}/{view.get('points', 0)} points"
    if broken_rules(tests):
        line += " · rule broken"
    if view.get("late_minutes"):
        line += f" · submitted {view['late_minutes']} min late (recorded)"
    return line


def failing_tests(tests: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The tests that did not pass (failed or error; skipped ones are not failures): broken rules first,
    then in the order the tests reported."""
    bad = [t for t in tests if t["outcome"] in ("failed", "error")]
    return sorted(bad, key=lambda t: t.get("error_class") != RULE)


def test_kind(test: Mapping[str, Any]) -> str:
    """``rule``, ``public`` or ``hidden``."""
    return "rule" if test.get("error_class") == RULE else test["visibility"]


# What the harness's messages say when they know both sides (course_harness.assert_tensor_close and
# the exercises' own asserts): "has shape (2, 3), expected (3, 2).", "got 0.5, expected 1.",
# "expected 300 losses, got 12.".
_END = r"\.?(?:\s*\(in your code, line \d+\))?\s*$"
_EXPECTED_GOT = (
    re.compile(r"\bhas (?P<what>shape|dtype) (?P<got>\([^)]*\)|[^\s,]+), expected (?P<expected>\([^)]*\)|[^\s,]+?)"
               r"(?:\.\s|\.?$|\s)"),
    re.compile(r"\bgot (?P<got>.+?), expected (?P<expected>.+?)" + _END),
    re.compile(r"\bexpected (?P<expected>.+?),? (?:but )?got (?P<got>.+?)" + _END),
)


def expected_got(message: str) -> tuple[str, str] | None:
    """(expected, got) when a failure message states both, else None."""
    for pattern in _EXPECTED_GOT:
        found = pattern.search(message or "")
        if found:
            what = found.groupdict().get("what")
            prefix = f"{what} " if what else ""
            return prefix + found["expected"].strip(), prefix + found["got"].strip()
    return None


def render_text(view: Mapping[str, Any]) -> str:
    """A final verdict as plain text: headline, error reason, table, artifacts, and pytest's
    output when the run did not pass (as the page shows them)."""
    parts = [verdict_headline(view)]
    if rule_notice(view):
        parts.append(rule_notice(view))
    if view.get("error_reason"):
        parts.append(f"Error: {view['error_reason']}")
    rows = verdict_rows(view.get("tests") or [])
    if rows:
        parts.append(text_table(TEXT_COLUMNS, [[row[c] for c in TEXT_COLUMNS] for row in rows]))
    parts.extend(artifact_lines(view.get("artifacts") or []))
    if view.get("output") and view["status"] != "passed":
        parts.append("pytest output:\n" + view["output"][-MAX_OUTPUT_CHARS:].rstrip())
    return "\n\n".join(parts) + "\n"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns two spaces apart; cells on one line (newlines in a message become ' / ')."""
    cells = [list(headers)] + [[_one_line(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells)


def artifact_lines(artifacts: Sequence[Mapping[str, Any]]) -> list[str]:
    """Text artifacts in full; plots by name, since a terminal cannot draw them."""
    lines = []
    for artifact in artifacts:
        name, kind = artifact.get("name", "artifact"), artifact.get("kind")
        if kind == "text":
            lines.append(f"{name}:\n{artifact.get('text', '')}")
        elif kind in ("line", "heatmap"):
            lines.append(f"{name}: a {kind} plot; open the exercise page to see it.")
    return lines


def _one_line(value: object) -> str:
    text = "" if value is None else str(value)
    return " / ".join(part.strip() for part in text.splitlines() if part.strip()) if "\n" in text else text
