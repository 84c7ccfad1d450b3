"""Public tests for the profiling exercise: run by *Run* and shown to the learner.

The tests keep their own copy of the slow loop, so the comparison does not depend on your
copy staying unchanged.
"""
import copy
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import ProfilerActivity, profile, record_function

from course_harness import artifacts, assert_tensor_close, get_function

PROFILE_SIG = "profile_loop(model, tokens, lengths, labels, steps=2) -> str"
FAST_SIG = "fast_loop(model, tokens, lengths, labels, steps, lr=0.1) -> tuple[list[float], list[float]]"
REGIONS = ("build_mask", "forward", "backward", "optimizer_step", "metrics")
SPEEDUP = 3.0


class MaskedMeanClassifier(nn.Module):
    def __init__(self, vocab=50, dim=32, classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens, mask):
        e = self.embed(tokens)                                                        # (N, T, C)
        pooled = (e * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)  # (N, C)
        return self.head(torch.tanh(pooled))                                          # (N, K)


def make_problem(n=64, t=32, vocab=50, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (n,), generator=g).tolist()
    tokens = torch.randint(1, vocab, (n, t), generator=g)
    for i, length in enumerate(lengths):
        tokens[i, length:] = 0
    return tokens, lengths, tokens[:, 0] % classes


def slow_loop(model, tokens, lengths, labels, steps, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses, accuracies = [], []
    for step in range(steps):
        with record_function("build_mask"):
            mask = torch.zeros(tokens.shape)
            for i in range(tokens.shape[0]):
                for j in range(tokens.shape[1]):
                    if j < lengths[i]:
                        mask[i, j] = 1.0
        with record_function("forward"):
            logits = model(tokens, mask)
            loss = F.cross_entropy(logits, labels)
        with record_function("backward"):
            optimizer.zero_grad()
            loss.backward()
        with record_function("optimizer_step"):
            optimizer.step()
        with record_function("metrics"):
            correct = 0
            for i in range(len(labels)):
                if logits[i].argmax().item() == labels[i].item():
                    correct += 1
            accuracies.append(correct / len(labels))
            losses.append(loss.item())
    return losses, accuracies


def region_times(model, problem, steps=2):
    """Total CPU time (µs) of each labelled region of the slow loop, from torch.profiler."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        slow_loop(model, *problem, steps)
    return {e.key: e.cpu_time_total for e in prof.key_averages() if e.key in REGIONS}


def check_same_results(fast_loop, model, problem, steps):
    expected_losses, expected_acc = slow_loop(copy.deepcopy(model), *problem, steps)
    ref_model = copy.deepcopy(model)
    slow_loop(ref_model, *problem, steps)
    mine = copy.deepcopy(model)
    out = fast_loop(mine, *problem, steps)
    assert isinstance(out, tuple) and len(out) == 2, \
        f"fast_loop should return (losses, accuracies) like slow_loop, got {out!r:.80}."
    losses, acc = out
    assert len(losses) == steps and len(acc) == steps, \
        f"fast_loop returned {len(losses)} losses and {len(acc)} accuracies for {steps} steps."
    for s in range(steps):
        assert abs(losses[s] - expected_losses[s]) <= 1e-6, (
            f"step {s}: fast_loop's loss is {losses[s]:.7g}, slow_loop's is {expected_losses[s]:.7g}. The mask must "
            "hold exactly the same values (1.0 for positions j < lengths[i], else 0.0).")
        assert abs(acc[s] - expected_acc[s]) <= 1e-6, \
            f"step {s}: fast_loop's accuracy is {acc[s]}, slow_loop's is {expected_acc[s]}."
    for (name, p), q in zip(mine.named_parameters(), ref_model.parameters()):
        assert_tensor_close(p.detach(), q.detach(), atol=1e-6, rtol=1e-6, name=f"parameter {name} after {steps} steps")
    return losses


def spy_on_profiler(monkeypatch):
    """Note every profiler start and keep every key_averages() table the learner's code reads."""
    started, tables = [], []
    kineto, legacy = torch.profiler.profiler._KinetoProfile, torch.autograd.profiler.profile
    start_trace, enter = kineto.start_trace, legacy.__enter__
    kineto_avg, legacy_avg = kineto.key_averages, legacy.key_averages
    monkeypatch.setattr(kineto, "start_trace", lambda self: (started.append(1), start_trace(self))[1])
    monkeypatch.setattr(legacy, "__enter__", lambda self: (started.append(1), enter(self))[1])
    monkeypatch.setattr(kineto, "key_averages", lambda self, *a, **k: tables.append(kineto_avg(self, *a, **k)) or tables[-1])
    monkeypatch.setattr(legacy, "key_averages", lambda self, *a, **k: tables.append(legacy_avg(self, *a, **k)) or tables[-1])
    return started, tables


def expected_hottest(tables, model, problem):
    """The hottest region in the profile the learner read, else in a fresh profile of our own."""
    for table in reversed(tables):
        times = {e.key: e.cpu_time_total for e in table if e.key in REGIONS}
        if times:
            return times
    return region_times(model, problem)


def test_profile_loop_names_the_hottest_region_using_torch_profiler(monkeypatch):
    profile_loop = get_function("profile_loop", PROFILE_SIG)
    problem = make_problem()
    torch.manual_seed(0)
    model = MaskedMeanClassifier()
    started, tables = spy_on_profiler(monkeypatch)
    answer = profile_loop(copy.deepcopy(model), *problem)
    monkeypatch.undo()
    assert started, "profile_loop never started torch.profiler: run slow_loop inside `with torch.profiler.profile(...) as prof:`."
    assert answer in REGIONS, f"profile_loop should return one of {REGIONS}, got {answer!r}."
    times = expected_hottest(tables, copy.deepcopy(model), problem)
    hottest = max(times, key=times.get)
    assert answer == hottest, (
        f"profile_loop returned {answer!r}, but the profile puts {hottest!r} first "
        f"(total CPU time per region in µs: { {k: round(v) for k, v in times.items()} }). Compare the "
        "cpu_time_total of the key_averages() rows whose key is a region name.")


def test_fast_loop_gives_the_same_losses_accuracies_and_weights():
    fast_loop = get_function("fast_loop", FAST_SIG)
    torch.manual_seed(1)
    check_same_results(fast_loop, MaskedMeanClassifier(), make_problem(seed=1), 6)


def test_fast_loop_is_at_least_3x_faster_than_the_slow_loop():
    fast_loop = get_function("fast_loop", FAST_SIG)
    problem = make_problem(seed=2)
    torch.manual_seed(2)
    model = MaskedMeanClassifier()
    losses = check_same_results(fast_loop, model, problem, 3)   # also warms both loops up
    slow_times, fast_times = [], []
    for _ in range(3):                                           # best of 3, interleaved
        m = copy.deepcopy(model)
        start = time.perf_counter()
        slow_loop(m, *problem, 10)
        slow_times.append(time.perf_counter() - start)
        m = copy.deepcopy(model)
        start = time.perf_counter()
        losses = fast_loop(m, *problem, 10)[0]
        fast_times.append(time.perf_counter() - start)
    slow, fast = min(slow_times), min(fast_times)
    ratio = slow / fast
    sink = artifacts()
    sink.line("training loss (fast_loop)", losses, x_label="step", y_label="loss")
    sink.text("timing", f"slow_loop: {slow * 1000:.1f} ms for 10 steps (best of 3)\n"
                        f"fast_loop: {fast * 1000:.1f} ms for 10 steps (best of 3)\nspeed-up: {ratio:.1f}x "
                        f"(needed: {SPEEDUP:.0f}x)")
    assert ratio >= SPEEDUP, (
        f"fast_loop took {fast * 1000:.1f} ms and slow_loop {slow * 1000:.1f} ms for 10 steps: a {ratio:.1f}x "
        f"speed-up, and at least {SPEEDUP:.0f}x is needed. Fix the region your profile says is hottest.")


def test_profile_loop_uses_torch_profiler(monkeypatch):
    profile_loop = get_function("profile_loop", PROFILE_SIG)
    problem = make_problem(16, 8, seed=3)
    torch.manual_seed(3)
    started, tables = spy_on_profiler(monkeypatch)
    profile_loop(MaskedMeanClassifier(), *problem)
    monkeypatch.undo()
    assert started, (
        "profile_loop never started torch.profiler (importing it is not enough): run slow_loop inside "
        "`with torch.profiler.profile(activities=[ProfilerActivity.CPU]) as prof:` and read prof.key_averages().")
    assert tables, (
        "profile_loop started the profiler but never read its results: take the answer from prof.key_averages() "
        "(the rows whose key is a region name).")
