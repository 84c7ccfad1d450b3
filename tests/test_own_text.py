"""Rules for a learner's own text (upload or paste), before anything is stored or run."""
from __future__ import annotations

import pytest

from sandbox.inputs import (MAX_OWN_TEXT_BYTES, MIN_OWN_TEXT_CHARS, OWN_TEXT, InputError, checked_for_workspace,
                            decode_text, inspect_inputs, own_text_problem, write_inputs)
from sandbox.validate import SAMPLE_OWN_TEXT
from portal.own_text import pick_own_text

from playground_fixtures import LEARNER_TEXT


def test_a_plain_text_is_accepted_as_it_is():
    assert own_text_problem(LEARNER_TEXT) is None
    assert inspect_inputs({OWN_TEXT: LEARNER_TEXT}) == {OWN_TEXT: LEARNER_TEXT}
    assert inspect_inputs({OWN_TEXT: LEARNER_TEXT.encode("utf-8")}) == {OWN_TEXT: LEARNER_TEXT}


def test_the_validation_sample_meets_the_rules_it_stands_in_for():
    assert own_text_problem(SAMPLE_OWN_TEXT) is None


@pytest.mark.parametrize("text, words", [
    ("short text. " * 10, f"at least {MIN_OWN_TEXT_CHARS:,}"),
    ("a" * 2000, "only 1 distinct"),
    ("x" * (MAX_OWN_TEXT_BYTES + 1), "limit is 1,000,000"),
    ("é" * (MAX_OWN_TEXT_BYTES // 2 + 1), "1,000,002 bytes"),  # the cap is on bytes, not characters
    ("words\x00" * 200, "NUL characters"),
    ("ab\udc80" * 300, "not valid Unicode"),
])
def test_texts_that_break_a_rule_are_refused_with_what_to_do(text, words):
    problem = own_text_problem(text)
    assert problem is not None and words in problem, problem
    with pytest.raises(InputError, match=words):
        inspect_inputs({OWN_TEXT: text})


def test_only_utf8_decodes_and_a_byte_order_mark_is_dropped():
    assert decode_text("\ufeffHello".encode("utf-8")) == ("Hello", None)
    text, problem = decode_text(b"caf\xe9 " * 200)  # Latin-1
    assert text is None and "not UTF-8" in problem and "position 3" in problem
    with pytest.raises(InputError, match="not UTF-8"):
        inspect_inputs({OWN_TEXT: b"\xff\xfe" + b"x" * 600})


def test_unknown_file_names_and_non_text_values_are_refused():
    with pytest.raises(InputError, match="'weights.pt' is not a file"):
        inspect_inputs({"weights.pt": LEARNER_TEXT})
    with pytest.raises(InputError, match="must be text"):
        inspect_inputs({OWN_TEXT: 12345})


@pytest.mark.parametrize("name", ["../escape.txt", "sub/own.txt", ".hidden.txt", "own_text.py", ""])
def test_the_engines_write_only_plain_names_inside_the_workspace(tmp_path, name):
    with pytest.raises(ValueError, match="refusing input file name"):
        write_inputs(tmp_path / "inputs", {name: LEARNER_TEXT})
    assert not (tmp_path / "escape.txt").exists()


def test_the_engines_refuse_oversize_inputs_even_when_the_service_was_bypassed(tmp_path):
    with pytest.raises(ValueError, match="over"):
        checked_for_workspace({OWN_TEXT: "x" * (MAX_OWN_TEXT_BYTES + 1)})
    write_inputs(tmp_path / "inputs", {OWN_TEXT: LEARNER_TEXT})
    assert (tmp_path / "inputs" / OWN_TEXT).read_text(encoding="utf-8") == LEARNER_TEXT


def test_an_upload_wins_over_pasted_text():
    text, problem = pick_own_text(LEARNER_TEXT.encode("utf-8"), "pasted " * 200)
    assert problem is None and text == LEARNER_TEXT
    text, problem = pick_own_text(None, LEARNER_TEXT)
    assert problem is None and text == LEARNER_TEXT


@pytest.mark.parametrize("uploaded, pasted, words", [
    (None, "", "Upload a .txt file or paste a text first"),
    (None, "   \n ", "Upload a .txt file or paste a text first"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 600, "", "not UTF-8"),
    (b"x" * (MAX_OWN_TEXT_BYTES + 10), "", "1,000,010 bytes"),
    (b"too short", LEARNER_TEXT, "at least"),  # a bad upload is not silently replaced by the pasted text
])
def test_the_panel_says_what_is_wrong_with_the_chosen_text(uploaded, pasted, words):
    text, problem = pick_own_text(uploaded, pasted)
    assert text is None and words in problem, problem
