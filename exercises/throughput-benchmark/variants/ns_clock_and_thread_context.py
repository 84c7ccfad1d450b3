"""Unusual but correct: integer nanoseconds from time.perf_counter_ns with statistics.median (converted to
seconds at the end), the thread setting in a contextlib context manager, torch.no_grad instead of
inference_mode, and sweep with itertools.product."""
import contextlib
import itertools
import statistics
import time

import torch


@contextlib.contextmanager
def num_threads(n):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def time_step(fn, warmup=3, repeats=10, sync=None):
    wait = sync if sync is not None else (lambda: None)
    for _ in range(warmup):
        fn()
    wait()
    ns = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        fn()
        wait()
        ns.append(time.perf_counter_ns() - t0)
    return statistics.median(ns) / 1e9


def throughput(model, batch_size, threads, in_features, warmup=3, repeats=10):
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    x = torch.randn(batch_size, in_features, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    with num_threads(threads), torch.no_grad():
        seconds = time_step(lambda: model(x), warmup=warmup, repeats=repeats, sync=sync)
    return dict(batch_size=batch_size, threads=threads, median_s=seconds, samples_per_s=batch_size / seconds)


def sweep(model, batch_sizes, thread_counts, in_features, warmup=3, repeats=10):
    return [throughput(model, b, t, in_features, warmup, repeats)
            for t, b in itertools.product(thread_counts, batch_sizes)]
