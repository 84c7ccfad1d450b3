"""JUnit report parsing: incomplete or foreign reports are refused."""
from pathlib import Path

import pytest

from sandbox.report import ReportError, parse_junit

VIS = {"test_public.py": "public", "test_hidden.py": "hidden"}


def write(tmp_path: Path, cases: str) -> Path:
    path = tmp_path / "junit.xml"
    path.write_text(f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>')
    return path


def test_outcomes_and_messages_are_read(tmp_path):
    path = write(tmp_path, """
      <testcase classname="test_public" name="test_a" time="0.5"/>
      <testcase classname="test_hidden" name="test_b[2]" time="0.1">
        <failure message="AssertionError: x has shape (2,), expected (3,).&#10;assert False">
          submission.py:7: in f
        </failure></testcase>""")
    a, b = parse_junit(path, VIS, {"test_public.py": {"test_a"}, "test_hidden.py": {"test_b"}})
    assert (a.name, a.outcome, a.visibility, a.duration_s) == ("test_a", "passed", "public", 0.5)
    assert (b.outcome, b.visibility) == ("failed", "hidden")
    assert b.message == "x has shape (2,), expected (3,). (in your code, line 7)"


def test_a_missing_report_is_an_error(tmp_path):
    with pytest.raises(ReportError, match="before pytest wrote its report"):
        parse_junit(tmp_path / "nope.xml", VIS, {})


def test_a_report_missing_a_test_is_an_error(tmp_path):
    path = write(tmp_path, '<testcase classname="test_public" name="test_a"/>')
    with pytest.raises(ReportError, match="1 of 2 tests in test_public.py have no result"):
        parse_junit(path, VIS, {"test_public.py": {"test_a", "test_b"}})


def test_a_damaged_report_is_an_error(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text("<testsuites><testcase")
    with pytest.raises(ReportError, match="damaged"):
        parse_junit(path, VIS, {})


def test_a_collection_error_is_reported_as_an_import_problem(tmp_path):
    path = write(tmp_path, """<testcase classname="" name="test_public">
        <error message="collection failure">E   ModuleNotFoundError: No module named 'numpyy'</error></testcase>""")
    with pytest.raises(ReportError, match="could not be imported: ModuleNotFoundError"):
        parse_junit(path, VIS, {"test_public.py": {"test_a"}})
