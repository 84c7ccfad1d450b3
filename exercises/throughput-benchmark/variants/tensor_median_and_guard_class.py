"""Unusual but correct: the durations kept in a float64 tensor and reduced with Tensor.median() (the lower of
the two middle values for an even count), timeit.default_timer as the clock, the threads guarded by a small
class with __enter__/__exit__, inference_mode as a decorator, and sweep as explicit loops."""
import timeit

import torch


class ThreadGuard:
    def __init__(self, n):
        self.n, self.saved = n, None

    def __enter__(self):
        self.saved = torch.get_num_threads()
        torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        torch.set_num_threads(self.saved)
        return False


def time_step(fn, warmup=3, repeats=10, sync=None):
    clock = timeit.default_timer
    for _ in range(warmup):
        fn()
        if sync:
            sync()
    durations = torch.empty(repeats, dtype=torch.float64)
    for i in range(repeats):
        t0 = clock()
        fn()
        if sync:
            sync()
        durations[i] = clock() - t0
    return float(durations.median())


def throughput(model, batch_size, threads, in_features, warmup=3, repeats=10):
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = torch.randn(batch_size, in_features, device=device)

    @torch.inference_mode()
    def forward():
        return model(x)

    with ThreadGuard(threads):
        median_s = time_step(forward, warmup, repeats, torch.cuda.synchronize if device.type == "cuda" else None)
    return {"samples_per_s": batch_size / median_s, "median_s": median_s, "threads": threads,
            "batch_size": batch_size}


def sweep(model, batch_sizes, thread_counts, in_features, warmup=3, repeats=10):
    rows = []
    for t in thread_counts:
        for b in batch_sizes:
            rows.append(throughput(model, b, t, in_features, warmup=warmup, repeats=repeats))
    return rows
