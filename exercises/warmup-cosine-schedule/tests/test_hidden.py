"""Hidden tests for the warmup + cosine schedule: edge cases, run only on *Submit*."""
import math

import torch

from course_harness import get_function

LR_AT = "lr_at(step, *, base_lr, warmup_steps, total_steps, min_lr=0.0) -> float"
MAKE = "make_scheduler(optimizer, *, warmup_steps, total_steps, min_lr_ratio=0.0) -> LambdaLR"


def lr(step, **kwargs):
    value = get_function("lr_at", LR_AT)(step, **kwargs)
    if not isinstance(value, (float, int)) or isinstance(value, bool):
        raise AssertionError(f"lr_at should return a Python float, got {type(value).__name__} ({value!r:.60}).")
    return float(value)


def reference(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return min_lr
    p = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * p))


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_no_warmup_starts_at_base_lr():
    cfg = dict(base_lr=0.02, warmup_steps=0, total_steps=40)
    first = lr(0, **cfg)
    assert close(first, 0.02), f"with warmup_steps=0, step 0 should already use base_lr = 0.02, got {first:.6g}."
    for s in range(45):
        got, want = lr(s, **cfg), reference(s, **cfg)
        assert close(got, want), f"with warmup_steps=0, lr_at({s}) should be {want:.6g}, got {got:.6g}."


def test_steps_past_the_end_stay_at_min_lr():
    for min_lr in (0.0, 1e-4):
        cfg = dict(base_lr=1e-3, warmup_steps=10, total_steps=100, min_lr=min_lr)
        for s in (100, 101, 150, 1000, 10**6):
            got = lr(s, **cfg)
            assert close(got, min_lr), (f"lr_at({s}) with total_steps=100 should stay at min_lr = {min_lr}, got "
                                        f"{got:.6g} (after the end the cosine must not come back up).")


def test_min_lr_is_the_floor_of_the_cosine():
    cfg = dict(base_lr=1.0, warmup_steps=4, total_steps=24, min_lr=0.1)
    mid = lr(14, **cfg)
    assert close(mid, 0.55), f"halfway through the cosine the lr should be (base_lr + min_lr)/2 = 0.55, got {mid:.6g}."
    for s in range(4, 30):
        got, want = lr(s, **cfg), reference(s, **cfg)
        assert close(got, want), (f"lr_at({s}, base_lr=1, warmup_steps=4, total_steps=24, min_lr=0.1) should be "
                                  f"{want:.6g}, got {got:.6g} (the cosine runs between base_lr and min_lr).")
        assert got >= 0.1 - 1e-12, f"lr_at({s}) = {got:.6g} went below min_lr = 0.1."


def test_matches_the_formula_on_many_configurations():
    for base_lr, w, t, m in ((6e-4, 2000, 60000, 6e-5), (0.1, 3, 7, 0.0), (1.0, 5, 5, 0.2), (2.5, 1, 2, 0.5)):
        cfg = dict(base_lr=base_lr, warmup_steps=w, total_steps=t, min_lr=m)
        steps = sorted({0, w - 1, w, w + 1, (w + t) // 2, t - 1, t, t + 1} - {-1})
        for s in steps:
            got, want = lr(s, **cfg), reference(s, **cfg)
            assert close(got, want), f"lr_at({s}, {cfg}) should be {want:.10g}, got {got:.10g}."


def test_scheduler_scales_each_group_by_its_own_lr():
    make_scheduler = get_function("make_scheduler", MAKE)
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([dict(params=[a], lr=0.1), dict(params=[b], lr=0.004)], lr=0.1)
    scheduler = make_scheduler(opt, warmup_steps=3, total_steps=12, min_lr_ratio=0.1)
    for step in range(15):
        for group, base in zip(opt.param_groups, (0.1, 0.004)):
            want = reference(step, base, 3, 12, 0.1 * base)
            assert close(group["lr"], want), (
                f"at step {step} the group with initial lr {base} has lr {group['lr']:.6g}, expected {want:.6g} "
                f"(lr_at with base_lr = {base} and min_lr = min_lr_ratio × {base}).")
        opt.step()
        scheduler.step()
