"""Public tests for the throughput benchmark: run by *Run* and shown to the learner.

The tests time callables and models whose cost they know: objects that sleep a fixed time per
call (warm-up calls longer, one call an outlier) and count their calls, and models whose forward
pass notes the number of threads, whether autograd was on and the batch size it received. Sleeps
are 20 to 300 ms, so the expected medians are known to within a few milliseconds even on a busy
machine; the bounds below leave room for that.
"""
import time

import torch
from torch import nn

from course_harness import artifacts, get_function

TIME_SIG = "time_step(fn, warmup=3, repeats=10, sync=None) -> float"
THROUGHPUT_SIG = "throughput(model, batch_size, threads, in_features, warmup=3, repeats=10) -> dict"
SWEEP_SIG = "sweep(model, batch_sizes, thread_counts, in_features, warmup=3, repeats=10) -> list[dict]"
KEYS = {"batch_size", "threads", "median_s", "samples_per_s"}
SLACK = 0.0005  # a sleep never returns early, but clocks differ by a fraction of a millisecond


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
    """A linear layer whose forward pass notes threads, grad mode and batch size."""

    def __init__(self, in_features=8, out_features=4):
        super().__init__()
        self.net = nn.Linear(in_features, out_features)
        self.threads, self.grad, self.batch = [], [], []

    def forward(self, x):
        self.threads.append(torch.get_num_threads())
        self.grad.append(torch.is_grad_enabled())
        self.batch.append(int(x.shape[0]))
        return self.net(x)


class SleepyLinear(nn.Module):
    """A linear layer that also sleeps ``seconds`` in every forward pass."""

    def __init__(self, in_features, seconds):
        super().__init__()
        self.net = nn.Linear(in_features, 4)
        self.seconds = seconds

    def forward(self, x):
        time.sleep(self.seconds)
        return self.net(x)


class Threads:
    """Stands in for torch's thread setting: torch.get_num_threads() and torch.set_num_threads(n) read and
    write ``n`` here, and every call of set_num_threads is noted."""

    def __init__(self, n):
        self.n, self.calls = n, []

    def get(self):
        return self.n

    def set(self, n):
        self.calls.append(n)
        self.n = int(n)


def watch_threads(monkeypatch, start):
    """From now on in this test, torch's get/set_num_threads (in your code and in the test's models) use a
    stand-in that starts at ``start``; the real setting is left alone."""
    threads = Threads(start)
    monkeypatch.setattr(torch, "get_num_threads", threads.get)
    monkeypatch.setattr(torch, "set_num_threads", threads.set)
    return threads


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def check_median(result, low, high, what):
    assert isinstance(result, float), f"time_step should return a Python float (seconds), got {result!r:.60}."
    assert low - SLACK <= result <= high, (
        f"{what}: time_step returned {ms(result)}, expected between {ms(low)} and {ms(high)}.")


def test_time_step_calls_fn_warmup_plus_repeats_times():
    time_step = get_function("time_step", TIME_SIG)
    fn = Sleeper([0.0])
    time_step(fn, warmup=2, repeats=5)
    assert fn.calls == 7, (
        f"with warmup=2 and repeats=5, fn should be called 2 + 5 = 7 times; it was called {fn.calls} times. "
        "Call it `warmup` times without timing, then `repeats` times, timing each call.")


def test_time_step_returns_the_median_of_the_timed_calls():
    time_step = get_function("time_step", TIME_SIG)
    # Timed calls of 100, 20, 40, 30 and 160 ms: the median is 40 ms (mean 70, min 20, first 100, last 160).
    fn = Sleeper([0.0, 0.10, 0.02, 0.04, 0.03, 0.16])
    result = time_step(fn, warmup=1, repeats=5)
    assert fn.calls == 6, f"with warmup=1 and repeats=5, fn should be called 6 times; it was called {fn.calls} times."
    check_median(result, 0.04, 0.058,
                 "timed calls of 100, 20, 40, 30 and 160 ms have a median of 40 ms (their mean is 70 ms, "
                 "their minimum 20 ms)")


def test_one_slow_outlier_does_not_move_the_result():
    time_step = get_function("time_step", TIME_SIG)
    fn = Sleeper([0.02, 0.02, 0.30, 0.02, 0.02])          # no warm-up; one call 15 times slower
    result = time_step(fn, warmup=0, repeats=5)
    check_median(result, 0.02, 0.038,
                 "four calls of 20 ms and one of 300 ms (a context switch, a garbage collection) should give "
                 "about 20 ms: the median ignores the outlier, the mean (76 ms) does not")


def test_warm_up_calls_are_not_timed():
    time_step = get_function("time_step", TIME_SIG)
    fn = Sleeper([0.20, 0.20, 0.20, 0.02])                # three slow first calls, then 20 ms each
    result = time_step(fn, warmup=3, repeats=3)
    assert fn.calls == 6, f"with warmup=3 and repeats=3, fn should be called 6 times; it was called {fn.calls} times."
    check_median(result, 0.02, 0.038,
                 "the first three calls take 200 ms (the warm-up) and the next three 20 ms: only the last three "
                 "may be timed")


def test_sync_runs_inside_the_timed_region():
    time_step = get_function("time_step", TIME_SIG)
    launch = Sleeper([0.0])        # like a CUDA launch: returns at once...
    sync = Sleeper([0.03])         # ...and the work is only finished when sync() returns
    result = time_step(launch, warmup=1, repeats=4, sync=sync)
    assert sync.calls >= 4, (
        f"sync was called {sync.calls} times for 4 timed calls: call sync() after every timed fn() call, "
        "before reading the clock.")
    check_median(result, 0.03, 0.048,
                 "fn() returns at once but its work is finished only when sync() returns (30 ms later), as on a "
                 "GPU; the clock must be read after sync()")


def test_throughput_sets_threads_for_the_measurement_and_restores_them(monkeypatch):
    throughput = get_function("throughput", THROUGHPUT_SIG)
    threads = watch_threads(monkeypatch, 3)        # an unusual setting before the call, to see it come back
    spy = Spy()
    throughput(spy, 4, 2, 8, warmup=2, repeats=3)
    assert len(spy.threads) == 5, f"with warmup=2 and repeats=3 the model should run 5 times; it ran {len(spy.threads)}."
    assert set(spy.threads) == {2}, (
        f"throughput(..., threads=2, ...) ran the model with {spy.threads} threads: call "
        "torch.set_num_threads(threads) before the warm-up.")
    assert threads.n == 3, (
        f"torch.get_num_threads() was 3 before throughput and {threads.n} after it (your calls of "
        f"torch.set_num_threads: {threads.calls}): save the previous value with torch.get_num_threads() and "
        "restore it (in a `finally`), whatever it was.")


def test_throughput_runs_the_model_without_autograd_on_the_requested_batch():
    throughput = get_function("throughput", THROUGHPUT_SIG)
    spy = Spy(in_features=6)
    with torch.enable_grad():
        throughput(spy, 7, 1, 6, warmup=1, repeats=3)
    assert spy.batch and set(spy.batch) == {7}, (
        f"throughput(model, batch_size=7, ...) gave the model batches of {sorted(set(spy.batch))} samples: make "
        "one input of shape (batch_size, in_features).")
    assert not any(spy.grad), (
        f"autograd was on in {sum(spy.grad)} of {len(spy.grad)} forward passes: inference is measured under "
        "torch.inference_mode() (or torch.no_grad()), which skips recording the graph.")


def test_samples_per_second_is_batch_size_over_the_median_time():
    throughput = get_function("throughput", THROUGHPUT_SIG)
    row = throughput(SleepyLinear(8, 0.02), 32, 1, 8, warmup=1, repeats=3)
    assert isinstance(row, dict) and set(row) == KEYS, (
        f"throughput should return a dict with the keys {sorted(KEYS)}, got {row!r:.120}.")
    assert row["batch_size"] == 32 and row["threads"] == 1, (
        f"the row should repeat batch_size=32 and threads=1, got {row['batch_size']} and {row['threads']}.")
    seconds, rate = row["median_s"], row["samples_per_s"]
    assert 0.02 - SLACK <= seconds <= 0.038, (
        f"the model sleeps 20 ms per forward pass, so median_s should be about 0.02 s; got {seconds!r}.")
    assert abs(rate - 32 / seconds) <= 1e-9 * (32 / seconds), (
        f"samples_per_s should be batch_size / median_s = 32 / {seconds:.5f} = {32 / seconds:.1f}; got {rate!r}.")


def test_sweep_of_a_small_mlp_gives_one_row_per_setting():
    sweep = get_function("sweep", SWEEP_SIG)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)).eval()
    batch_sizes, thread_counts = [1, 4, 16, 64, 256], [1, 2]
    rows = sweep(model, batch_sizes, thread_counts, 64, warmup=2, repeats=5)
    expected = [(t, b) for t in thread_counts for b in batch_sizes]
    assert isinstance(rows, list) and len(rows) == len(expected), (
        f"sweep should return a list of {len(expected)} rows (one per thread count and batch size), "
        f"got {rows!r:.120}.")
    got = [(r["threads"], r["batch_size"]) for r in rows]
    assert got == expected, f"rows should come threads-major, in the order {expected}; got {got}."
    for r in rows:
        assert set(r) == KEYS and r["median_s"] > 0, f"each row needs {sorted(KEYS)} and median_s > 0: {r}."
        assert abs(r["samples_per_s"] - r["batch_size"] / r["median_s"]) <= 1e-6 * r["samples_per_s"], (
            f"samples_per_s should be batch_size / median_s in every row: {r}.")
    sink = artifacts()
    for t in thread_counts:
        mine = [r for r in rows if r["threads"] == t]
        sink.line(f"samples/s with {t} thread{'s' if t > 1 else ''}", [r["samples_per_s"] for r in mine],
                  x=[r["batch_size"] for r in mine], x_label="batch size", y_label="samples per second")
    table = ["threads  batch   median ms     samples/s"]
    table += [f"{r['threads']:7d} {r['batch_size']:6d} {r['median_s'] * 1000:11.3f} {r['samples_per_s']:13,.0f}"
              for r in rows]
    sink.text("your sweep (MLP 64-128-128-10, inference, median of 5 after 2 warm-up calls)", "\n".join(table))
