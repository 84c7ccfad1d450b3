"""The verdict table the page draws and the command line prints, from one set of rows."""
from __future__ import annotations

from dataclasses import asdict

from grading.service import VerdictView
from verdicts.table import TEXT_COLUMNS, render_text, verdict_headline, verdict_rows

TESTS = [
    {"name": "test_rows_sum_to_one", "visibility": "public", "outcome": "passed", "message": "", "duration_s": 0.01234},
    {"name": "test_big_values", "visibility": "hidden", "outcome": "failed",
     "message": "softmax(x) has NaN at index (0, 2).\nSubtract the row maximum first.", "duration_s": 0.5},
]


def view(**changes) -> dict:
    base = VerdictView(submission_id=7, exercise_id="stable-softmax", mode="submit", status="failed",
                       error_reason=None, score=5.0, points=10, tests=TESTS,
                       artifacts=[{"kind": "text", "name": "sample", "text": "to be or not"},
                                  {"kind": "line", "name": "loss", "x": [0, 1], "y": [2.0, 1.0]}],
                       output=None, late_minutes=None)
    return asdict(base) | changes


def test_rows_are_the_pages_columns_in_test_order():
    rows = verdict_rows(TESTS)
    assert [list(r) for r in rows] == [["", "test", "kind", "result", "message", "seconds"]] * 2
    assert [(r[""], r["test"], r["result"], r["seconds"]) for r in rows] == [
        ("✅", "test_rows_sum_to_one", "passed", 0.012), ("❌", "test_big_values", "failed", 0.5)]


def test_the_headline_counts_passes_and_adds_score_and_lateness_where_they_apply():
    assert verdict_headline(view()) == "Submit (all tests): failed — 1/2 tests passed, score 5/10"
    assert verdict_headline(view(late_minutes=90), strong="**") == (
        "Submit (all tests): **failed** — 1/2 tests passed, score 5/10 · submitted 90 min late (recorded)")
    assert verdict_headline(view(mode="run", score=None)) == "Run (public tests): failed — 1/2 tests passed"
    assert verdict_headline(view(mode="check", tests=[], status="error")) == (
        "Check (public tests, run on this machine): error — 0/0 tests passed")


def test_text_rendering_keeps_columns_aligned_and_each_test_on_one_line():
    text = render_text(view())
    table = text.split("\n\n")[1].splitlines()
    assert table[0].split() == list(TEXT_COLUMNS)
    assert len(table) == 3
    starts = [table[0].index(c) for c in TEXT_COLUMNS]
    for line, row in zip(table[1:], verdict_rows(TESTS)):
        assert [line[s:].split("  ")[0].strip() for s in starts[:-1]] == [
            row["test"], row["kind"], row["result"], str(row["seconds"])]
    assert table[2].endswith("softmax(x) has NaN at index (0, 2). / Subtract the row maximum first.")
    assert "sample:\nto be or not" in text and "loss: a line plot; open the exercise page" in text


def test_output_is_shown_only_when_the_run_did_not_pass():
    assert "pytest output:\nF." in render_text(view(mode="run", output="F.\n"))
    assert "pytest output" not in render_text(view(mode="run", status="passed", tests=TESTS[:1], output="."))
    assert "Error: Time limit" in render_text(view(status="error", tests=[], error_reason="Time limit of 30 s"))
