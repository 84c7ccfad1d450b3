"""Playground: your bigram model learns the learner's own text and writes some of its own.

Run by "Try it on your own text" only; never part of Run's or Submit's grading. It checks
just enough to say whether the model worked; the point is the generated text and the curve.
"""
import math

import pytest
import torch

from course_harness import artifacts, get_function, own_text_path

MAX_CHARS = 200_000     # the public tests' largest text too: a Python-loop bigram_counts still fits the time limit
HELD_OUT = 0.1          # the last 10 % is kept aside to measure what the model learned
SMOOTHING = 0.1
MAX_VOCAB = 2_000       # a (V, V) table of counts and one of probabilities: 2,000² entries is 48 MB
SAMPLE_LENGTH = 400
FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)  # of the training part, for the learning curve


def fn(name):
    return get_function(name)


def test_your_bigram_model_learns_your_text():
    path = own_text_path()
    if path is None:
        pytest.fail("No text was handed in: upload a .txt file under 'Try it on your own text' and press its button.")
    text = path.read_text(encoding="utf-8")[:MAX_CHARS]
    if len(set(text)) > MAX_VOCAB:
        pytest.fail(f"Your text uses {len(set(text)):,} distinct characters; a bigram table that size does not fit "
                    f"this playground's memory (at most {MAX_VOCAB:,}). Try a text in fewer distinct characters.")
    stoi, itos = fn("build_vocab")(text)
    missing = sorted(set(text) - set(stoi))
    assert not missing, f"build_vocab left out characters of your text, e.g. {missing[:5]}."
    V = len(stoi)
    ids = torch.tensor([stoi[ch] for ch in text], dtype=torch.long)  # (N,)
    split = int(len(ids) * (1 - HELD_OUT))
    train_ids, held_ids = ids[:split], ids[split:]

    # How surprised the model is by the held-out text, as it sees more of the rest.
    counts_fn, probs_fn, nll_fn = fn("bigram_counts"), fn("bigram_probs"), fn("nll")
    sizes, surprise = [], []
    for fraction in FRACTIONS:
        size = max(2, int(split * fraction))
        probs = probs_fn(counts_fn(train_ids[:size], V), smoothing=SMOOTHING)  # (V, V)
        sizes.append(size)
        surprise.append(float(nll_fn(probs, held_ids)))
    assert all(math.isfinite(v) for v in surprise), (
        f"nll on the held-out part of your text is not a finite number ({surprise}): with smoothing "
        f"{SMOOTHING} no probability is zero, so look at bigram_probs and nll.")

    start = int(ids[0])  # probs is now the model of the whole training part (the last fraction is 1.0)
    generated = fn("sample")(probs, start, SAMPLE_LENGTH, torch.Generator().manual_seed(0))
    assert isinstance(generated, list) and len(generated) == SAMPLE_LENGTH, (
        f"sample(probs, start_id, {SAMPLE_LENGTH}, generator) should return a list of {SAMPLE_LENGTH} ids.")
    outside = [i for i in generated if not isinstance(i, int) or not 0 <= i < V]
    assert not outside, f"sample returned {outside[0]!r}, which is not an id of your text's {V} characters."

    board = artifacts()
    board.text(f"generated text ({SAMPLE_LENGTH} characters from a bigram model of your text)",
               "".join(itos[i] for i in generated))
    board.line("surprise on the held-out tenth of your text", surprise, x=sizes,
               x_label="characters the model has counted", y_label="average negative log-likelihood (nats)")
    board.text("what the model learned",
               f"{len(text):,} characters ({V} distinct); trained on the first {split:,}. On the last "
               f"{len(held_ids):,} it scores {surprise[-1]:.3f} nats per character; guessing uniformly "
               f"would score ln {V} = {math.log(V):.3f}.")

    train_nll = float(nll_fn(probs, train_ids))
    assert train_nll <= math.log(V) + 1e-3, (
        f"on the text it counted, your model scores {train_nll:.3f} nats per character, worse than guessing "
        f"uniformly among {V} characters ({math.log(V):.3f}): the counts or the probabilities are off.")
