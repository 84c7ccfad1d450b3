"""Playground: your fine-tuning code adapts the tiny GPT-2 to the learner's own text.

Run by "Try it on your own text" only; never part of Run's or Submit's grading. It loads the
checkpoint with your `load`, cuts your text with your `make_blocks`, fine-tunes with your
`finetune` and shows what the model writes before and after, with the loss on a held-out tenth.
"""
import math

import pytest
import torch

from course_harness import artifacts, get_function, own_text_path, pretrained_path

BLOCK_SIZE = 32
STEPS, LR, BATCH_SIZE, ACCUMULATION = 60, 1e-3, 8, 1
SAMPLE_TOKENS = 80
SAMPLES = 2


def test_your_text_fine_tunes_the_model():
    path = own_text_path()
    if path is None:
        pytest.fail("No text was handed in: upload a .txt file under 'Try it on your own text' and press its button.")
    text = path.read_text(encoding="utf-8")
    tokenizer, model = get_function("load")(str(pretrained_path("tiny-gpt2")))
    blocks = get_function("make_blocks")(tokenizer, text, BLOCK_SIZE)
    if len(blocks) < 4:
        pytest.fail(f"Your text makes {len(blocks)} blocks of {BLOCK_SIZE} tokens; give the model at least 4 "
                    "(a few hundred words).")
    # The last tenth is held out (when there is enough text), so the loss there says whether the model
    # learned the style rather than the very sentences.
    held = len(blocks) // 10 if len(blocks) >= 20 else 0
    train, held_out = blocks[:len(blocks) - held], blocks[len(blocks) - held:]
    measured = held_out if held else train
    words = text.split()
    prompt = " ".join(words[:3]) if words else "\n"

    generate = get_function("generate_text")
    mean_loss = get_function("mean_loss")
    before_loss = mean_loss(model, measured, 16)
    before = [generate(model, tokenizer, prompt, SAMPLE_TOKENS, seed) for seed in range(SAMPLES)]
    torch.manual_seed(0)
    losses = get_function("finetune")(model, train, steps=STEPS, lr=LR, batch_size=min(BATCH_SIZE, len(train)),
                                      accumulation_steps=ACCUMULATION, seed=0)
    after_loss = mean_loss(model, measured, 16)
    after = [generate(model, tokenizer, prompt, SAMPLE_TOKENS, seed) for seed in range(SAMPLES)]

    board = artifacts()
    if isinstance(losses, list) and losses:
        board.line("training loss on your text", [float(v) for v in losses], x=list(range(1, len(losses) + 1)),
                   x_label="optimizer step", y_label="loss")
    board.text("samples before and after fine-tuning", "\n\n".join(
        f"--- before (seed {seed}) ---\n{prompt}{b}\n--- after (seed {seed}) ---\n{prompt}{a}"
        for seed, (b, a) in enumerate(zip(before, after))))
    where = (f"the held-out last tenth ({held} blocks)" if held else
             "the text it trained on (too short to hold a tenth out; a loss near 0 there means the model "
             "learned your text by heart, which a longer text would show apart from learning its style)")
    board.text("what fine-tuning changed", (
        f"{len(blocks)} blocks of {BLOCK_SIZE} tokens; {STEPS} steps of {min(BATCH_SIZE, len(train))} blocks.\n"
        f"Loss on {where}: {before_loss:.3f} → {after_loss:.3f} nats per token "
        f"(perplexity {math.exp(min(before_loss, 50)):.1f} → {math.exp(min(after_loss, 50)):.1f})."))
    assert isinstance(losses, list) and losses and all(isinstance(v, float) and math.isfinite(v) for v in losses), (
        "finetune should return the list of the steps' losses (finite Python floats).")
