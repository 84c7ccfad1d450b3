"""Playground: your neural bigram model learns the learner's own text, then writes some of its own.

Run by "Try it on your own text" only; never part of Run's or Submit's grading. It trains with
your `train` (the Shakespeare run's settings), checks only that training worked, and shows the
loss curve and the generated text.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from course_harness import artifacts, get_function, own_text_path

STEPS, BATCH_SIZE, BLOCK_SIZE, LR = 3000, 32, 8, 1e-2
MAX_VOCAB = 2_000       # a (V, V) table and its AdamW state: 2,000² entries three times is 48 MB
SAMPLE_LENGTH = 500


def test_your_bigram_network_learns_your_text():
    path = own_text_path()
    if path is None:
        pytest.fail("No text was handed in: upload a .txt file under 'Try it on your own text' and press its button.")
    text = path.read_text(encoding="utf-8")
    chars = sorted(set(text))
    if len(chars) > MAX_VOCAB:
        pytest.fail(f"Your text uses {len(chars):,} distinct characters; this playground's table holds at most "
                    f"{MAX_VOCAB:,}. Try a text in fewer distinct characters.")
    if len(text) < 4 * BLOCK_SIZE:
        pytest.fail(f"Your text has {len(text)} characters; give the model at least {4 * BLOCK_SIZE} to learn from.")
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([stoi[ch] for ch in text], dtype=torch.long)
    n = max(BLOCK_SIZE + 2, int(0.9 * len(data)))
    train_data, held_out = data[:n], data[n - BLOCK_SIZE - 1:]  # the last tenth, measured after training

    torch.manual_seed(1337)
    model = get_function("BigramLanguageModel")(len(chars))
    losses = get_function("train")(model, train_data, steps=STEPS, batch_size=BATCH_SIZE, block_size=BLOCK_SIZE,
                                   lr=LR)
    assert isinstance(losses, list) and losses and all(isinstance(v, float) and math.isfinite(v) for v in losses), (
        "train should return the list of training losses (finite Python floats, one per step).")
    with torch.no_grad():
        logits, _ = model(held_out[None, :-1])
        measured = F.cross_entropy(logits.reshape(-1, len(chars)), held_out[1:]).item()
    torch.manual_seed(0)
    sample = model.generate(data[:1][None, :], SAMPLE_LENGTH)

    board = artifacts()
    size = 30
    board.line("training loss on your text (averages of 30 steps)",
               [sum(losses[i:i + size]) / len(losses[i:i + size]) for i in range(0, len(losses), size)],
               x=[min(i + size, len(losses)) for i in range(0, len(losses), size)], x_label="step", y_label="loss")
    board.text(f"generated text ({SAMPLE_LENGTH} characters)", "".join(chars[i] for i in sample[0].tolist()))
    board.text("what the model learned",
               f"{len(text):,} characters ({len(chars)} distinct); trained on the first 90 %. On the last 10 % the "
               f"model scores {measured:.3f} nats per character; guessing uniformly would score "
               f"ln {len(chars)} = {math.log(len(chars)):.3f}.")
    first, last = sum(losses[:10]) / len(losses[:10]), sum(losses[-50:]) / len(losses[-50:])
    assert last <= first + 0.05, (
        f"training made the loss worse (first steps {first:.3f}, last steps {last:.3f}): check zero_grad, "
        "backward and optimizer.step.")
