"""Restores the number of threads to a fixed 1 afterwards instead of to the value it had before.

Caught by: test_throughput_sets_threads_for_the_measurement_and_restores_them
"""
import statistics
import time

import torch
from torch import nn


def make_mlp(in_features=64, hidden=128, out_features=10, seed=0):
    """A small MLP to benchmark while trying things out."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, out_features))


def time_step(fn, warmup=3, repeats=10, sync=None):
    """Median wall-clock seconds of one call of ``fn()``.

    Args:
        fn: the work to time, called with no arguments.
        warmup: calls made first and not timed (allocations, caches, lazy initialisation).
        repeats: timed calls, each timed on its own.
        sync: called after ``fn()`` and before the clock is read (``torch.cuda.synchronize`` on a
            GPU, where ``fn()`` returns as soon as the work is queued); None on the CPU.

    Returns:
        The median of the ``repeats`` durations, in seconds (a Python float).
    """
    for _ in range(warmup):
        fn()
    if sync is not None:
        sync()                                    # the warm-up's queued work is not timed either
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if sync is not None:
            sync()                                # wait until the work has really finished
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)           # one slow call (a context switch) does not move it


def throughput(model, batch_size, threads, in_features, warmup=3, repeats=10):
    """Inference throughput of ``model`` on one random batch of shape (batch_size, in_features).

    The input is made once, before timing, on the device of the model's parameters. The
    measurement runs with ``torch.set_num_threads(threads)``, without autograd, and the previous
    number of threads is restored afterwards, even if the model raises.

    Returns:
        {"batch_size": int, "threads": int, "median_s": median seconds per forward pass,
         "samples_per_s": batch_size / median_s}
    """
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    x = torch.randn(batch_size, in_features, device=device)          # (B, in_features)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            median_s = time_step(lambda: model(x), warmup, repeats, sync)
    finally:
        torch.set_num_threads(1)
    return {"batch_size": batch_size, "threads": threads, "median_s": median_s,
            "samples_per_s": batch_size / median_s}


def sweep(model, batch_sizes, thread_counts, in_features, warmup=3, repeats=10):
    """``throughput`` for every thread count (outer loop) and batch size (inner loop), in that order."""
    return [throughput(model, b, t, in_features, warmup, repeats)
            for t in thread_counts for b in batch_sizes]


if __name__ == "__main__":
    for row in sweep(make_mlp().eval(), [1, 8, 64, 256], [1, 2], 64):
        print(f"{row['threads']} thread(s), batch {row['batch_size']:4d}: "
              f"{row['median_s'] * 1e3:8.3f} ms, {row['samples_per_s']:12,.0f} samples/s")
