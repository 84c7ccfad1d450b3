"""Public tests for training a GPT on tiny Shakespeare: run by *Run* and shown to the learner.

The long test trains your model with your `train` for the profile's time budget, then measures
the validation loss itself (its own batches, its own seed): the number your `train` returns is
only compared with it, never trusted.
"""
import math
import time
from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

from course_harness import artifacts, corpus_path, get_function

TRAIN_SIGNATURE = "train(model, train_data, val_data, *, budget_s, device, batch_size, lr, ...) -> dict"
CONFIG_SIGNATURE = "GPTConfig(vocab_size, block_size, n_layer, n_head, n_embd, dropout, bias)"
GPT_SIGNATURE = "class GPT(nn.Module) with forward(idx, targets=None) -> (logits, loss)"
NO_CORPUS = ("The tiny Shakespeare corpus is not installed on this platform, so this test cannot train on it. "
             "An admin installs it once with `python -m courseware corpus fetch` (downloads it), or with "
             "`python -m courseware corpus add FILE` from a local copy of tinyshakespeare.txt; then press Run again.")


@dataclass(frozen=True)
class Profile:
    """What the test trains and what it expects: one profile for a GPU worker, one for a CPU."""

    name: str
    model: dict          # GPTConfig fields (vocab_size comes from the data)
    budget_s: float      # passed to train(budget_s=...)
    batch_size: int
    lr: float
    threshold: float     # the validation loss the test must measure, at most
    eval_batches: int    # batches of the test's own validation estimate


GPU = Profile("GPU", dict(block_size=256, n_layer=6, n_head=6, n_embd=384, dropout=0.2, bias=True),
              budget_s=90.0, batch_size=64, lr=1e-3, threshold=1.50, eval_batches=20)
CPU = Profile("CPU", dict(block_size=32, n_layer=2, n_head=4, n_embd=64, dropout=0.0, bias=True),
              budget_s=75.0, batch_size=64, lr=3e-3, threshold=2.00, eval_batches=50)
EXTRA_TIME_S = 20.0  # how far past budget_s train may run (final evaluation, slow machines)

# A short original text for the quick test: repeated, so a tiny model learns it in seconds.
VERSE = ("the tide goes out and leaves the sand to dry;\n"
         "the gulls come down to read what it has written.\n")


def build_model(vocab_size, **fields):
    config = get_function("GPTConfig", CONFIG_SIGNATURE)(vocab_size=vocab_size, **fields)
    model = get_function("GPT", GPT_SIGNATURE)(config)
    if not isinstance(model, nn.Module):
        raise AssertionError(f"GPT(config) should be an nn.Module, got {type(model).__name__}.")
    return model


class LiveLoss:
    """A forward hook that draws the training loss on the page while train() runs (display only).

    It reads the loss the model returns in training mode every ``every`` calls and redraws the
    chart at most every ``interval_s``; it never raises into the learner's loop.
    """

    def __init__(self, board, name, every=10, interval_s=2.0):
        self.board, self.name, self.every, self.interval_s = board, name, every, interval_s
        self.calls, self.steps, self.losses = 0, [], []
        self.shown = time.perf_counter()

    def __call__(self, module, args, output):
        try:
            if not module.training or not isinstance(output, tuple) or len(output) < 2 or output[1] is None:
                return
            self.calls += 1
            if self.calls % self.every:
                return
            self.steps.append(self.calls)
            self.losses.append(float(output[1].detach()))
            if time.perf_counter() - self.shown >= self.interval_s:
                self.shown = time.perf_counter()
                self.board.live_line(self.name, self.losses, x=self.steps, x_label="step", y_label="loss")
        except Exception:
            pass


def windows(data, block_size, batch_size, generator):
    """The test's own batches: random windows x and the characters that follow them, y."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    offsets = torch.arange(block_size)
    return data[ix[:, None] + offsets], data[ix[:, None] + offsets + 1]  # (B, T), (B, T)


@torch.no_grad()
def measure_val_loss(model, val_data, block_size, batch_size, batches, device, seed=2024):
    """Mean cross-entropy of the model's logits on fixed random validation windows (eval mode)."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    for _ in range(batches):
        x, y = windows(val_data, block_size, batch_size, g)
        logits, _ = model(x.to(device))
        if not isinstance(logits, torch.Tensor) or logits.shape[:2] != x.shape:
            raise AssertionError(f"model(x) should return logits of shape (B, T, vocab_size) for x of shape "
                                 f"{tuple(x.shape)}, got {getattr(logits, 'shape', type(logits).__name__)}.")
        total += F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.to(device).reshape(-1)).item()
    return total / batches


def check_report(result):
    """The dict train returns: val_loss (float), losses (one float per step), steps (int)."""
    if not isinstance(result, dict):
        raise AssertionError(f"train should return a dict with val_loss, losses and steps, got {type(result).__name__}.")
    missing = [k for k in ("val_loss", "losses", "steps") if k not in result]
    if missing:
        raise AssertionError(f"the dict returned by train lacks {missing}; it has {sorted(result)}.")
    steps, losses, val = result["steps"], result["losses"], result["val_loss"]
    if not isinstance(steps, int) or isinstance(steps, bool):
        raise AssertionError(f"result['steps'] should be the number of optimizer steps (an int), got {steps!r:.40}.")
    if steps < 1:
        raise AssertionError("train made no optimizer step (steps = 0): keep training until about budget_s seconds "
                             "have passed, and reserve only a small part of the budget for the final evaluation.")
    if not isinstance(losses, (list, tuple)) or len(losses) != steps:
        raise AssertionError(f"result['losses'] should be a list with one training loss per step ({steps} steps), "
                             f"got {type(losses).__name__} of length {len(losses) if hasattr(losses, '__len__') else '?'}.")
    if not all(isinstance(v, float) and math.isfinite(v) for v in losses):
        raise AssertionError("result['losses'] should hold finite Python floats (use loss.item()); found "
                             f"{next(v for v in losses if not (isinstance(v, float) and math.isfinite(v)))!r:.40}.")
    if not isinstance(val, float) or not math.isfinite(val):
        raise AssertionError(f"result['val_loss'] should be a finite Python float, got {val!r:.40}.")


def curve(losses, points=400):
    """At most `points` averages of consecutive losses, with the step each one ends at."""
    size = max(1, math.ceil(len(losses) / points))
    ys = [sum(losses[i:i + size]) / len(losses[i:i + size]) for i in range(0, len(losses), size)]
    xs = [min(i + size, len(losses)) for i in range(0, len(losses), size)]
    return xs, ys


@torch.no_grad()
def sample_text(model, itos, stoi, block_size, length, device, seed=42):
    """The test's own sampling loop (temperature 1), started from a newline."""
    model.eval()
    g = torch.Generator(device=device).manual_seed(seed)
    idx = torch.tensor([[stoi["\n"]]], device=device)
    for _ in range(length):
        logits, _ = model(idx[:, -block_size:])
        probs = F.softmax(logits[:, -1, :].float(), dim=-1)
        idx = torch.cat([idx, torch.multinomial(probs, 1, generator=g)], dim=1)
    return "".join(itos[i] for i in idx[0, 1:].tolist())


class TrainingWatch:
    """Watches train from the outside (display and checks only; it never raises into the loop).

    A forward pre-hook keeps the (x, y) of the first training passes; parameter hooks add up the
    gradients of the backward passes since the last optimizer step, and a global optimizer hook
    compares them, at every step, with the gradients the step applies (gradient clipping scales
    them all by one factor, which is allowed; gradients left over from earlier steps are not).
    """

    def __init__(self, model, keep=5):
        self.keep, self.batches, self.steps, self.stale = keep, [], 0, 0.0
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.fresh = [None] * len(self.params)
        self.handles = [model.register_forward_pre_hook(self._forward, with_kwargs=True)]
        self.handles += [p.register_hook(self._backward(i)) for i, p in enumerate(self.params)]
        self.handles.append(register_optimizer_step_pre_hook(self._step))

    def _forward(self, module, args, kwargs):
        if len(self.batches) >= self.keep or not torch.is_grad_enabled() or not module.training:
            return
        idx = args[0] if args else kwargs.get("idx")
        targets = args[1] if len(args) > 1 else kwargs.get("targets")
        if isinstance(idx, torch.Tensor):
            self.batches.append((idx.detach().cpu().clone(),
                                 targets.detach().cpu().clone() if isinstance(targets, torch.Tensor) else None))

    def _backward(self, i):
        def hook(grad):
            g = grad.detach().float()
            self.fresh[i] = g.clone() if self.fresh[i] is None else self.fresh[i] + g
        return hook

    def _step(self, optimizer, args, kwargs):
        try:
            pairs = [(p.grad.detach().float().flatten(), f.flatten())
                     for p, f in zip(self.params, self.fresh) if p.grad is not None and f is not None]
            if pairs:
                applied, fresh = torch.cat([a for a, _ in pairs]), torch.cat([f for _, f in pairs])
                scale = (applied @ fresh) / (fresh @ fresh).clamp_min(1e-30)
                left_over = ((applied - scale * fresh).norm() / applied.norm().clamp_min(1e-30)).item()
                self.stale, self.steps = max(self.stale, left_over), self.steps + 1
        except Exception:
            pass
        finally:
            self.fresh = [None] * len(self.params)

    def close(self):
        for handle in self.handles:
            handle.remove()


def model_problems(vocab_size):
    """Quick checks of the (untrained) model: it is causal, and its loss uses the targets as given."""
    model = build_model(vocab_size, block_size=16, n_layer=2, n_head=2, n_embd=32, dropout=0.0, bias=True).eval()
    g = torch.Generator().manual_seed(3)
    idx = torch.randint(0, vocab_size, (2, 16), generator=g)
    changed = idx.clone()
    changed[:, 8:] = (idx[:, 8:] + torch.randint(1, vocab_size, (2, 8), generator=g)) % vocab_size
    targets = torch.randint(0, vocab_size, (2, 16), generator=g)
    problems = []
    with torch.no_grad():
        before, _ = model(idx)
        after, _ = model(changed)
        logits, loss = model(idx, targets)
    if not isinstance(before, torch.Tensor) or tuple(before.shape) != (2, 16, vocab_size):
        return [f"model(x) should return logits of shape (B, T, vocab_size) = (2, 16, {vocab_size}), got "
                f"{getattr(before, 'shape', type(before).__name__)}."]
    gap = (before[:, :8].float() - after[:, :8].float()).abs().max().item()
    if gap > 1e-4:
        problems.append(f"the model is not causal: changing the characters from position 8 on changed the logits "
                        f"before it by up to {gap:.3g}. A model that sees the next character gets a very low loss "
                        "without learning anything; mask the attention so position t only sees positions 0..t.")
    expected = F.cross_entropy(logits.float().reshape(-1, vocab_size), targets.reshape(-1)).item()
    got = loss.item() if isinstance(loss, torch.Tensor) and loss.numel() == 1 else None
    if got is None or abs(got - expected) > 1e-4:
        problems.append(f"model(x, y) returned the loss {got if got is None else round(got, 4)}, but the "
                        f"cross-entropy of its logits against y at the same positions is {expected:.4f}: the batches "
                        "already hold the next characters (y shifted by one character), so the model must not shift "
                        "them again.")
    return problems


def batch_problems(run):
    """Quick checks of the first training batches: (B, T) windows of train_data and their next characters."""
    batches, data, B, T = run["watch"].batches, run["train_data"], run["batch_size"], run["block_size"]
    if not batches:
        return ["no forward pass with gradients enabled was seen during train: train the model you are given, "
                "calling `logits, loss = model(x, y)` on each batch."]
    all_windows = data.unfold(0, T + 1, 1)  # (N - T, T + 1): every window and the character after it
    for x, y in batches:
        if y is None:
            return ["your training step calls the model without targets; call `logits, loss = model(x, y)` so the "
                    "model computes the loss."]
        if tuple(x.shape) != (B, T) or tuple(y.shape) != (B, T):
            return [f"with batch_size={B} and block_size={T} the training batches should be ({B}, {T}); got x "
                    f"{tuple(x.shape)} and y {tuple(y.shape)}."]
        if not torch.equal(y[:, :-1], x[:, 1:]):
            return ["the targets are not the inputs shifted by one character: for a window starting at i use "
                    "x = data[i : i+T] and y = data[i+1 : i+1+T], so y[t] is the character that follows x[t]."]
        rows = torch.cat([x, y[:, -1:]], dim=1)  # (B, T + 1)
        if not bool((all_windows[None] == rows[:, None]).all(dim=-1).any(dim=-1).all()):
            return ["a training window is not a contiguous piece of train_data: draw x = train_data[i : i+T] "
                    "(never from val_data)."]
    if len({tuple(row.tolist()) for row in batches[0][0]}) == 1:
        return ["every window of the first batch is the same: draw a random start for each row "
                "(torch.randint(len(data) - T, (batch_size,)))."]
    if len({tuple(x[0].tolist()) for x, _ in batches}) == 1:
        return [f"the first {len(batches)} batches are identical: draw fresh random windows at every step."]
    return []


def gradient_problems(run):
    """Quick check that each optimizer step applies only the gradients of its own backward pass(es)."""
    watch = run["watch"]
    if watch.steps and watch.stale > 0.1:
        return [f"an optimizer step applied gradients left over from earlier steps (up to {watch.stale:.0%} of the "
                "gradient did not come from the backward pass since the previous step): call "
                "optimizer.zero_grad(set_to_none=True) once per step, before loss.backward()."]
    return []


@pytest.fixture(scope="module")
def quick_run():
    """train on a short repeated verse for 3 s, watched from the outside."""
    text = VERSE * 60
    chars = sorted(set(text))
    data = torch.tensor([chars.index(c) for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    # Pay PyTorch's one-time start-up costs (the first optimizer imports for seconds) outside the 3-second budget.
    warm = nn.Linear(2, 2)
    warm_opt = torch.optim.AdamW(warm.parameters())
    warm(torch.zeros(1, 2)).sum().backward()
    warm_opt.step()
    torch.manual_seed(0)
    model = build_model(len(chars), block_size=16, n_layer=1, n_head=2, n_embd=32, dropout=0.0, bias=True)
    train = get_function("train", TRAIN_SIGNATURE)
    watch = TrainingWatch(model)
    start = time.perf_counter()
    try:
        result = train(model, data[:n], data[n:], budget_s=3.0, device="cpu", batch_size=16, lr=3e-3)
    finally:
        watch.close()
    return dict(result=result, took=time.perf_counter() - start, model=model, train_data=data[:n],
                val_data=data[n:], watch=watch, batch_size=16, block_size=16, vocab_size=len(chars))


def test_the_model_is_causal_and_its_loss_uses_the_targets_as_given():
    problems = model_problems(65)
    assert not problems, " ".join(problems)


def test_train_returns_val_loss_losses_and_steps(quick_run):
    result, took, model = quick_run["result"], quick_run["took"], quick_run["model"]
    check_report(result)
    assert took < 3.0 + 8.0, (f"train(budget_s=3.0) ran for {took:.1f} s: stop the loop when time.perf_counter() "
                              "has passed budget_s (count your evaluations too).")
    losses = result["losses"]
    assert result["steps"] >= 10, f"in 3 s your loop made only {result['steps']} steps; a step should take milliseconds."
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first - 0.5, (f"the training loss did not go down on a short repeated verse (first steps "
                                f"{first:.2f}, last steps {last:.2f}): check zero_grad, backward and optimizer.step.")
    ours = measure_val_loss(model, quick_run["val_data"], 16, 16, 10, "cpu")
    assert abs(result["val_loss"] - ours) < 0.3, (
        f"your train reports val_loss = {result['val_loss']:.3f}, but the test measures {ours:.3f} on the "
        "validation data: average model(x, y) losses over random validation windows, in eval mode.")


def test_training_batches_are_random_windows_and_their_next_characters(quick_run):
    problems = batch_problems(quick_run)
    assert not problems, " ".join(problems)


def test_each_step_applies_only_its_own_gradients(quick_run):
    problems = gradient_problems(quick_run)
    assert not problems, " ".join(problems)


def test_gpt_reaches_the_target_validation_loss_on_tiny_shakespeare(quick_run):
    corpus = corpus_path()
    if corpus is None:
        pytest.fail(NO_CORPUS)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    profile = GPU if device == "cuda" else CPU
    # The quick checks take seconds; training takes minutes. Do not train a model that cannot pass.
    problems = model_problems(65) + batch_problems(quick_run) + gradient_problems(quick_run)
    if problems:
        raise AssertionError(f"The {profile.budget_s:g}-second training on tiny Shakespeare was not run, because a "
                             "quick check of your model and loop already failed (see the other tests): "
                             + " ".join(problems))
    text = corpus.read_text(encoding="utf-8")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    itos = dict(enumerate(chars))
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)  # (1115394,)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]  # first 90 % / last 10 %

    torch.manual_seed(0)
    model = build_model(len(chars), **profile.model).to(device)
    train = get_function("train", TRAIN_SIGNATURE)
    board = artifacts()
    handle = model.register_forward_hook(LiveLoss(board, f"training loss so far ({profile.name} profile)"))
    start = time.perf_counter()
    try:
        result = train(model, train_data, val_data, budget_s=profile.budget_s, device=device,
                       batch_size=profile.batch_size, lr=profile.lr)
    finally:
        handle.remove()
    took = time.perf_counter() - start
    check_report(result)

    block = profile.model["block_size"]
    xs, ys = curve(result["losses"])
    board.line(f"training loss ({profile.name} profile, {result['steps']} steps in {took:.0f} s)", ys, x=xs,
               x_label="step", y_label="loss")
    board.text("generated text (300 characters, temperature 1)",
               sample_text(model, itos, stoi, block, 300, device))

    val = measure_val_loss(model, val_data, block, profile.batch_size, profile.eval_batches, device)
    board.text("validation loss measured by the test",
               f"{profile.name} profile: {val:.3f} after {result['steps']} steps in {took:.1f} s "
               f"(at most {profile.threshold:.2f} passes); your train reported {result['val_loss']:.3f}.")

    # A model that can see the future scores a suspiciously low loss: probe causality first.
    model.eval()
    g = torch.Generator().manual_seed(7)
    x, _ = windows(val_data, block, 4, g)
    changed = x.clone()
    cut = block // 2
    changed[:, cut:] = torch.randint(0, len(chars), (4, block - cut), generator=g)
    with torch.no_grad():
        before, _ = model(x.to(device))
        after, _ = model(changed.to(device))
    gap = (before[:, :cut].float() - after[:, :cut].float()).abs().max().item()
    tolerance = 1e-3 if device == "cuda" else 1e-4
    assert gap <= tolerance, (
        f"the trained model is not causal: changing the characters after position {cut} changed the logits "
        f"before it by up to {gap:.3g}. A model that sees the next character gets a very low loss without "
        "learning anything; mask the attention so position t only sees positions 0..t.")

    assert took <= profile.budget_s + EXTRA_TIME_S, (
        f"train(budget_s={profile.budget_s:g}) ran for {took:.0f} s: check time.perf_counter() in your loop and "
        "stop early enough that the final evaluation fits in the budget.")
    # For the cohort leaderboard: the test's own measurement of a causal model trained within the
    # budget, published after train returned (a later write of a name replaces an earlier one).
    board.metric("val_loss", val)
    board.metric("train_seconds", took)
    board.metric("gpu_profile", 1.0 if profile is GPU else 0.0)
    hint = ""
    if result["losses"][-1] < val - 0.5 or result["val_loss"] < val - 0.5:
        hint = (" Your own losses are far lower than the test's: check that the targets are the inputs shifted by "
                "one character (y = data[i+1 : i+1+T]) and that the model does not shift them a second time.")
    assert val <= profile.threshold, (
        f"{profile.name} profile: after {result['steps']} steps the test measures a validation loss of {val:.3f}; "
        f"it should be at most {profile.threshold:.2f}.{hint} Check the learning rate (with warmup), that every "
        "step uses a fresh random batch, and that the loop uses the whole time budget.")
    assert abs(result["val_loss"] - val) < 0.3, (
        f"your train reports val_loss = {result['val_loss']:.3f} but the test measures {val:.3f}: evaluate in "
        "eval mode, under torch.no_grad(), on random windows of val_data, at the end of training.")
