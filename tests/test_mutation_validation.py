"""Validation proves the tests: mutants must fail in the test they name, variants must pass.

Through the real warm sandbox on a tiny exercise, and the command line on it.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from courseware.loader import ContentError, load_bank
from config import PROJECT_ROOT
from sandbox.validate import mutation_summary, mutation_table, validate_all

from conftest import write_content

pytestmark = pytest.mark.slow

CAUGHT = '"""Forgets the second factor for matrices.\n\nCaught by: test_doubles_a_matrix\n"""\n' \
         "def double(x):\n    return x * 2 if x.dim() == 1 else x\n"
SURVIVES = '"""Adds instead of multiplying; the tests cannot tell.\n\nCaught by: test_doubles_a_vector\n"""\n' \
           "def double(x):\n    return x + x\n"
WRONG_CATCHER = '"""Only the vector is wrong.\n\nCaught by: test_doubles_a_matrix\n"""\n' \
                "def double(x):\n    return x * 3 if x.dim() == 1 else x * 2\n"
VARIANT = '"""Through a matrix product with 2·I."""\nimport torch\n\n' \
          "def double(x):\n    return x @ (2 * torch.eye(x.shape[-1]))\n"
BAD_VARIANT = '"""Claims to be correct, is not."""\n\ndef double(x):\n    return x * 2.5\n'


def _tree(tmp_path, mutants: dict[str, str], variants: dict[str, str]):
    root = write_content(tmp_path / "content")
    folder = root / "exercises" / "double"
    for kind, files in (("mutants", mutants), ("variants", variants)):
        if files:
            (folder / kind).mkdir()
        for name, code in files.items():
            (folder / kind / f"{name}.py").write_text(code)
    return root


def test_caught_mutants_and_passing_variants_validate(tmp_path, warm_engine):
    root = _tree(tmp_path, {"matrix_ignored": CAUGHT}, {"eye_product": VARIANT})
    [check] = validate_all(warm_engine, [load_bank(root).exercises["double"]], workers=2)
    assert check.ok, check.problems
    [mutant] = [e for e in check.examples if e.kind == "mutant"]
    assert mutant.ok and mutant.caught_by == ("test_doubles_a_matrix[1]", "test_doubles_a_matrix[4]")
    assert mutation_summary([check]) == "mutants: caught 1 of 1, variants: passed 1 of 1"
    assert "matrix_ignored ← test_doubles_a_matrix[1], test_doubles_a_matrix[4]" in mutation_table([check])[1]


def test_a_surviving_mutant_a_wrongly_caught_one_and_a_failing_variant_are_problems(tmp_path, warm_engine):
    root = _tree(tmp_path, {"adds": SURVIVES, "vector_only": WRONG_CATCHER}, {"too_much": BAD_VARIANT})
    [check] = validate_all(warm_engine, [load_bank(root).exercises["double"]], workers=2)
    assert not check.ok
    problems = "\n".join(check.problems)
    assert "mutant adds passes every test: the tests miss this mistake" in problems
    assert "mutant vector_only fails, but not in test_doubles_a_matrix as its docstring says" in problems
    assert "variant too_much is failed: test_doubles_a_vector" in problems
    assert mutation_summary([check]) == "mutants: caught 0 of 2, variants: passed 0 of 1"


def test_a_mutant_must_say_which_test_catches_it(tmp_path):
    root = _tree(tmp_path, {"silent": "def double(x):\n    return x\n",
                            "unknown": '"""Wrong.\n\nCaught by: test_nothing_like_this\n"""\ndef double(x):\n    return x\n'},
                 {})
    with pytest.raises(ContentError) as err:
        load_bank(root)
    text = str(err.value)
    assert "silent.py" in text and "needs a module docstring" in text
    assert "'test_nothing_like_this' is not a test" in text


def test_the_command_ends_with_the_mutation_line_and_fails_on_a_survivor(tmp_path):
    root = _tree(tmp_path, {"adds": SURVIVES, "matrix_ignored": CAUGHT}, {})
    env = {"COURSE_CONTENT_DIR": str(root), "COURSE_DATA_DIR": str(tmp_path / "data"), "CHECKER_WORKERS": "2",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "sandbox", "validate"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == "mutants: caught 1 of 2, variants: passed 0 of 0"
    assert "FAIL double" in done.stdout
