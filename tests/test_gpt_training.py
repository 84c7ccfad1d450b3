"""The GPT training exercise on its CPU profile, through the real sandbox: subtly broken
solutions fail with a message that names the mistake. (``courseware validate`` already
checks that the reference passes and the starter fails; these runs train for real, ~80 s each.)
"""
from __future__ import annotations

import shutil
import sys

import pytest

from courseware.corpus import corpus_file
from courseware.loader import load_bank
from courseware.settings import PROJECT_ROOT

from conftest import SHARED_CORPUS, make_settings

pytestmark = pytest.mark.slow

REFERENCE = (PROJECT_ROOT / "exercises" / "gpt-tiny-shakespeare" / "solution.py").read_text()


def mutate(old: str, new: str) -> str:
    assert REFERENCE.count(old) == 1, f"the reference no longer contains {old!r}: update this test"
    return REFERENCE.replace(old, new)


# Attention that sees the future: the loss drops far too low, and the test's causality probe fails.
NO_CAUSAL_MASK = mutate("F.scaled_dot_product_attention(q, k, v, is_causal=True,",
                        "F.scaled_dot_product_attention(q, k, v, is_causal=False,")
# Targets equal to the inputs: the model learns to copy, its own losses look perfect, the test's don't.
UNSHIFTED_TARGETS = mutate("y = data[ix[:, None] + offsets + 1]", "y = data[ix[:, None] + offsets]")


@pytest.fixture(scope="module")
def engine(settings_with_corpus):
    from checker.warm import WarmChecker

    checker = WarmChecker(sys.executable, slots=2, corpus=corpus_file(settings_with_corpus.data_dir))
    yield checker
    checker.close()


@pytest.fixture(scope="module")
def settings_with_corpus(tmp_path_factory):
    data = tmp_path_factory.mktemp("gpt") / "data"
    source = corpus_file(PROJECT_ROOT / "data") or (SHARED_CORPUS if SHARED_CORPUS.is_file() else None)
    if source is None:
        pytest.fail("tiny Shakespeare is needed: `make test` copies it from ../shared/data, or run "
                    "`.venv/bin/python -m courseware corpus fetch`")
    (data / "corpus").mkdir(parents=True)
    shutil.copyfile(source, data / "corpus" / "tinyshakespeare.txt")
    return make_settings(data)


@pytest.fixture(scope="module")
def verdicts(engine):
    from concurrent.futures import ThreadPoolExecutor

    spec = load_bank(PROJECT_ROOT).exercises["gpt-tiny-shakespeare"]
    with ThreadPoolExecutor(max_workers=2) as pool:  # one slot each, trained side by side
        runs = pool.map(lambda code: engine.check(spec, code, "submit"), [NO_CAUSAL_MASK, UNSHIFTED_TARGETS])
        return dict(zip(["no causal mask", "unshifted targets"], runs))


def failing_messages(result) -> str:
    return "\n".join(t.message for t in result.tests if t.outcome != "passed")


def test_a_model_that_sees_the_future_fails_on_causality(verdicts):
    result = verdicts["no causal mask"]
    assert result.status == "failed", result
    assert "not causal" in failing_messages(result)


def test_targets_not_shifted_by_one_fail_with_the_shift_hint(verdicts):
    result = verdicts["unshifted targets"]
    assert result.status == "failed", result
    messages = failing_messages(result)
    assert "shifted by one character" in messages or "y = data[i+1" in messages, messages
