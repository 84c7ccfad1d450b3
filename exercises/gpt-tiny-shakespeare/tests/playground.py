"""Playground: your `train` teaches a small GPT the learner's own text, then the model writes.

Run by "Try it on your own text" only; never part of Run's or Submit's grading. It trains
for a short budget (a small model, about 20 s) and checks only that training worked; the
point is the loss curve and the generated text.
"""
import math
import time

import pytest
import torch
import torch.nn.functional as F

from course_harness import artifacts, get_function, own_text_path

BUDGET_S = 20.0
MODEL = dict(block_size=32, n_layer=2, n_head=4, n_embd=64, dropout=0.0, bias=True)  # the CPU profile's model
BATCH_SIZE, LR = 64, 3e-3
MAX_VOCAB = 5_000       # the output layer has one row per distinct character
SAMPLE_LENGTH = 400
TRAIN_SIGNATURE = "train(model, train_data, val_data, *, budget_s, device, batch_size, lr, ...) -> dict"


def windows(data, block_size, batch_size, generator):
    """Random windows x and the characters that follow them, y: both (B, T)."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    offsets = torch.arange(block_size)
    return data[ix[:, None] + offsets], data[ix[:, None] + offsets + 1]


@torch.no_grad()
def held_out_loss(model, data, block_size, device, batches=20):
    """The playground's own measurement: mean cross-entropy on fixed random windows, eval mode."""
    model.eval()
    g = torch.Generator().manual_seed(2024)
    total = 0.0
    for _ in range(batches):
        x, y = windows(data, block_size, BATCH_SIZE, g)
        logits, _ = model(x.to(device))
        total += F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.to(device).reshape(-1)).item()
    return total / batches


@torch.no_grad()
def generate(model, start_id, block_size, length, device):
    """Temperature-1 sampling from the trained model, one character at a time."""
    model.eval()
    g = torch.Generator(device=device).manual_seed(0)
    idx = torch.tensor([[start_id]], device=device)
    for _ in range(length - 1):
        logits, _ = model(idx[:, -block_size:])
        probs = F.softmax(logits[:, -1, :].float(), dim=-1)
        idx = torch.cat([idx, torch.multinomial(probs, 1, generator=g)], dim=1)
    return idx[0].tolist()


def test_your_gpt_learns_your_text():
    path = own_text_path()
    if path is None:
        pytest.fail("No text was handed in: upload a .txt file under 'Try it on your own text' and press its button.")
    text = path.read_text(encoding="utf-8")
    chars = sorted(set(text))
    if len(chars) > MAX_VOCAB:
        pytest.fail(f"Your text uses {len(chars):,} distinct characters; this playground's model handles at most "
                    f"{MAX_VOCAB:,}. Try a text in fewer distinct characters.")
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)  # (N,)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]  # first 90 % / last 10 %
    block = max(1, min(MODEL["block_size"], len(val_data) - 2))  # a short text: windows must fit its last tenth
    device = "cuda" if torch.cuda.is_available() else "cpu"

    torch.manual_seed(0)
    config = get_function("GPTConfig")(vocab_size=len(chars), **(MODEL | {"block_size": block}))
    model = get_function("GPT")(config).to(device)
    start = time.perf_counter()
    result = get_function("train", TRAIN_SIGNATURE)(model, train_data, val_data, budget_s=BUDGET_S, device=device,
                                                    batch_size=BATCH_SIZE, lr=LR)
    took = time.perf_counter() - start
    losses = result.get("losses") if isinstance(result, dict) else None
    assert isinstance(losses, (list, tuple)) and losses, (
        "train should return a dict whose 'losses' lists the training loss of every step; got "
        f"{type(result).__name__}{' without losses' if isinstance(result, dict) else ''}.")
    assert all(isinstance(v, float) and math.isfinite(v) for v in losses), (
        "the training losses should be finite Python floats (loss.item()); a NaN or inf means training diverged.")

    size = max(1, math.ceil(len(losses) / 400))  # at most 400 points: averages of consecutive steps
    curve = [sum(losses[i:i + size]) / len(losses[i:i + size]) for i in range(0, len(losses), size)]
    measured = held_out_loss(model, val_data, block, device)
    board = artifacts()
    board.line(f"training loss on your text ({len(losses)} steps in {took:.0f} s on {device})", curve,
               x=[min(i + size, len(losses)) for i in range(0, len(losses), size)], x_label="step", y_label="loss")
    board.text(f"generated text ({SAMPLE_LENGTH} characters, temperature 1)",
               "".join(chars[i] for i in generate(model, stoi[text[0]], block, SAMPLE_LENGTH, device)))
    board.text("what the model learned",
               f"{len(text):,} characters ({len(chars)} distinct); trained on the first 90 %. On the last 10 % the "
               f"model scores {measured:.3f} nats per character; guessing uniformly would score "
               f"ln {len(chars)} = {math.log(len(chars)):.3f}.")

    first = sum(losses[:5]) / len(losses[:5])
    last = sum(losses[-20:]) / len(losses[-20:])
    assert last <= first + 0.05, (
        f"training made the loss worse (first steps {first:.3f}, last steps {last:.3f}): check zero_grad, "
        "backward and optimizer.step, and the learning rate.")
    assert math.isfinite(measured), f"after training, the model's loss on the held-out text is {measured}."
