"""Input checks before grading: each bad input gets a sentence the learner can act on."""
from grading.intake import inspect_code

LIMIT = 64 * 1024


def test_good_code_passes_through_unchanged():
    assert inspect_code("def f(x):\n    return x\n", LIMIT) == ("def f(x):\n    return x\n", None)


def test_empty_code_is_refused():
    _, problem = inspect_code("  \n\t\n", LIMIT)
    assert "empty" in problem


def test_oversize_code_is_refused_and_stored_truncated():
    code = "x = 1\n" * 20_000
    stored, problem = inspect_code(code, LIMIT)
    assert "120,000 bytes; the limit is 65,536" in problem
    assert len(stored.encode()) <= LIMIT


def test_bytes_that_are_not_utf8_are_refused():
    stored, problem = inspect_code(b"x = '\xff\xfe'\n", LIMIT)
    assert "not UTF-8" in problem and "position 5" in problem
    assert stored.startswith("x = '")


def test_syntax_errors_say_where():
    _, problem = inspect_code("def f(:\n    pass\n", LIMIT)
    assert problem.startswith("Syntax error at line 1")


def test_nul_characters_are_refused():
    _, problem = inspect_code("x = 1\x00\n", LIMIT)
    assert "NUL" in problem
