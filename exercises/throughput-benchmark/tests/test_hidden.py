"""Hidden tests for the throughput benchmark: edge cases, the warm-up inside throughput, failures,
and the order and settings of every measurement in a sweep."""
import time

import pytest
import torch
from torch import nn

from course_harness import get_function

TIME_SIG = "time_step(fn, warmup=3, repeats=10, sync=None) -> float"
THROUGHPUT_SIG = "throughput(model, batch_size, threads, in_features, warmup=3, repeats=10) -> dict"
SWEEP_SIG = "sweep(model, batch_sizes, thread_counts, in_features, warmup=3, repeats=10) -> list[dict]"
SLACK = 0.0005


class Sleeper:
    """A callable that sleeps ``durations[i]`` seconds on its i-th call (the last one after that)."""

    def __init__(self, durations):
        self.durations = tuple(durations)
        self.calls = 0

    def __call__(self):
        i = min(self.calls, len(self.durations) - 1)
        self.calls += 1
        time.sleep(self.durations[i])


class Spy(nn.Module):
    def __init__(self, in_features=8):
        super().__init__()
        self.net = nn.Linear(in_features, 3)
        self.threads, self.grad, self.batch = [], [], []

    def forward(self, x):
        self.threads.append(torch.get_num_threads())
        self.grad.append(torch.is_grad_enabled())
        self.batch.append(int(x.shape[0]))
        return self.net(x)


class SlowStart(nn.Module):
    """Sleeps ``first`` seconds in each of its first ``slow_calls`` forward passes, ``then`` seconds after."""

    def __init__(self, in_features, slow_calls, first, then):
        super().__init__()
        self.net = nn.Linear(in_features, 2)
        self.slow_calls, self.first, self.then = slow_calls, first, then
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        time.sleep(self.first if self.calls <= self.slow_calls else self.then)
        return self.net(x)


class FailsOnCall(nn.Module):
    """Raises RuntimeError on its ``n``-th forward pass."""

    def __init__(self, in_features, n):
        super().__init__()
        self.net = nn.Linear(in_features, 2)
        self.n = n
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls == self.n:
            raise RuntimeError("out of memory (raised by the test's model)")
        return self.net(x)


class Threads:
    """Stands in for torch's thread setting (see the public tests)."""

    def __init__(self, n):
        self.n, self.calls = n, []

    def get(self):
        return self.n

    def set(self, n):
        self.calls.append(n)
        self.n = int(n)


def watch_threads(monkeypatch, start):
    threads = Threads(start)
    monkeypatch.setattr(torch, "get_num_threads", threads.get)
    monkeypatch.setattr(torch, "set_num_threads", threads.set)
    return threads


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def test_no_warm_up_and_a_single_repeat():
    time_step = get_function("time_step", TIME_SIG)
    fn = Sleeper([0.03])
    result = time_step(fn, warmup=0, repeats=1)
    assert fn.calls == 1, f"with warmup=0 and repeats=1, fn should run once; it ran {fn.calls} times."
    assert isinstance(result, float) and 0.03 - SLACK <= result <= 0.048, (
        f"one call of 30 ms should give about 0.03 s; time_step returned {result!r}.")


def test_an_even_number_of_repeats():
    time_step = get_function("time_step", TIME_SIG)
    fn = Sleeper([0.15, 0.15, 0.02, 0.08, 0.04, 0.06])   # two 150 ms warm-up calls, then 20, 80, 40, 60 ms
    result = time_step(fn, warmup=2, repeats=4)
    assert fn.calls == 6, f"with warmup=2 and repeats=4, fn should run 6 times; it ran {fn.calls} times."
    assert isinstance(result, float) and 0.04 - SLACK <= result <= 0.075, (
        f"timed calls of 20, 80, 40 and 60 ms have a median between 40 and 60 ms (50 ms: the mean of the two "
        f"middle values); time_step returned {ms(result)}.")


def test_throughput_does_its_warm_up_before_timing():
    throughput = get_function("throughput", THROUGHPUT_SIG)
    model = SlowStart(8, slow_calls=2, first=0.15, then=0.02)
    row = throughput(model, 16, 1, 8, warmup=2, repeats=3)
    assert model.calls == 5, (
        f"throughput(..., warmup=2, repeats=3) should run the model 5 times; it ran {model.calls} times.")
    assert 0.02 - SLACK <= row["median_s"] <= 0.038, (
        f"the model's first two passes take 150 ms and the next ones 20 ms; with warmup=2 median_s should be "
        f"about 0.02 s, got {row['median_s']!r}. Pass warmup and repeats on to your timing.")


def test_threads_are_restored_when_the_model_fails(monkeypatch):
    throughput = get_function("throughput", THROUGHPUT_SIG)
    threads = watch_threads(monkeypatch, 3)
    model = FailsOnCall(4, n=3)
    with pytest.raises(RuntimeError, match="raised by the test's model"):
        throughput(model, 5, 2, 4, warmup=2, repeats=3)
    assert threads.n == 3, (
        f"the model raised during the measurement and torch.get_num_threads() stayed {threads.n} (it was 3 "
        "before): restore the previous number of threads in a `finally` block (or a context manager).")


def test_sweep_runs_every_setting_with_its_own_threads_and_batch_size(monkeypatch):
    sweep = get_function("sweep", SWEEP_SIG)
    threads = watch_threads(monkeypatch, 4)
    spy = Spy(in_features=5)
    rows = sweep(spy, [3, 6], [2, 1], 5, warmup=1, repeats=2)
    expected = [(2, 3), (2, 6), (1, 3), (1, 6)]
    got = [(r["threads"], r["batch_size"]) for r in rows]
    assert got == expected, f"sweep(model, [3, 6], [2, 1], ...) should give rows {expected} (threads, batch); got {got}."
    seen = list(zip(spy.threads, spy.batch))
    want = [setting for setting in expected for _ in range(3)]  # 1 warm-up + 2 timed calls each
    assert seen == want, (
        f"the model should run 3 times per setting with that setting's threads and batch size, in order: "
        f"{want}; it ran with (threads, batch) {seen}.")
    assert not any(spy.grad), "autograd was on during some forward passes of the sweep."
    assert threads.n == 4, f"torch.get_num_threads() was 4 before sweep and {threads.n} after it."


def test_samples_per_second_with_another_batch_size():
    throughput = get_function("throughput", THROUGHPUT_SIG)
    row = throughput(SlowStart(3, slow_calls=0, first=0.0, then=0.025), 100, 1, 3, warmup=1, repeats=4)
    seconds, rate = row["median_s"], row["samples_per_s"]
    assert 0.025 - SLACK <= seconds <= 0.043, f"the model sleeps 25 ms per pass; median_s was {seconds!r}."
    assert abs(rate - 100 / seconds) <= 1e-9 * (100 / seconds), (
        f"samples_per_s should be 100 / median_s = {100 / seconds:.1f}, got {rate!r}.")
    assert row["batch_size"] == 100 and row["threads"] == 1, f"the row should echo batch_size and threads: {row}."
