"""Public tests for the warmup + cosine schedule: run by *Run* and shown to the learner."""
import math

import torch

from course_harness import artifacts, get_function

LR_AT = "lr_at(step, *, base_lr, warmup_steps, total_steps, min_lr=0.0) -> float"
MAKE = "make_scheduler(optimizer, *, warmup_steps, total_steps, min_lr_ratio=0.0) -> LambdaLR"


def lr(step, **kwargs):
    value = get_function("lr_at", LR_AT)(step, **kwargs)
    if not isinstance(value, (float, int)) or isinstance(value, bool):
        raise AssertionError(f"lr_at should return a Python float, got {type(value).__name__} ({value!r:.60}).")
    return float(value)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_values_at_key_steps():
    cfg = dict(base_lr=1e-3, warmup_steps=10, total_steps=100)
    expected = {
        0: 1e-4,        # first warmup step: base_lr * 1/10, not 0
        4: 5e-4,
        9: 1e-3,        # last warmup step reaches base_lr
        10: 1e-3,       # cosine starts at base_lr
        55: 5e-4,       # halfway through the cosine phase: the midpoint
        100: 0.0,       # end of the schedule: min_lr
    }
    for step, want in expected.items():
        got = lr(step, **cfg)
        assert close(got, want), (f"lr_at({step}, base_lr=1e-3, warmup_steps=10, total_steps=100) should be "
                                  f"{want:.6g}, got {got:.6g}.")
    got = lr(30, **cfg)
    want = 1e-3 * 0.5 * (1 + math.cos(math.pi * 20 / 90))
    assert close(got, want), (f"lr_at(30, ...) should be 0.5·base_lr·(1 + cos(pi·(30 - 10)/(100 - 10))) = {want:.6g}, "
                              f"got {got:.6g}.")


def test_warmup_rises_and_cosine_falls():
    cfg = dict(base_lr=3e-4, warmup_steps=20, total_steps=200, min_lr=3e-5)
    values = [lr(s, **cfg) for s in range(230)]
    artifacts().line("learning rate (base 3e-4, warmup 20, total 200, min 3e-5)", values,
                     x_label="step", y_label="learning rate")
    for s in range(1, 20):
        assert values[s] > values[s - 1], f"during warmup the lr must rise every step, but step {s} is not above {s - 1}."
    for s in range(21, 200):
        assert values[s] < values[s - 1], (f"after warmup the lr must fall every step until total_steps, but step {s} "
                                           f"({values[s]:.6g}) is not below step {s - 1} ({values[s - 1]:.6g}).")


def test_schedule_is_continuous_at_the_warmup_boundary():
    for w in (1, 5, 37):
        cfg = dict(base_lr=0.1, warmup_steps=w, total_steps=w + 50)
        last_warm, first_cos = lr(w - 1, **cfg), lr(w, **cfg)
        assert close(last_warm, 0.1) and close(first_cos, 0.1), (
            f"with warmup_steps={w} the last warmup step ({w - 1}) and the first cosine step ({w}) should both give "
            f"base_lr = 0.1, got {last_warm:.6g} and {first_cos:.6g}.")


def test_scheduler_drives_the_optimizer_like_lr_at():
    make_scheduler = get_function("make_scheduler", MAKE)
    param = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([param], lr=0.5)
    scheduler = make_scheduler(opt, warmup_steps=5, total_steps=30)
    assert isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR), (
        f"make_scheduler should return a torch.optim.lr_scheduler.LambdaLR, got {type(scheduler).__name__}.")
    for step in range(40):
        want = lr(step, base_lr=0.5, warmup_steps=5, total_steps=30)
        got = opt.param_groups[0]["lr"]
        assert close(got, want), (f"at step {step} the optimizer's lr is {got:.6g}, but lr_at gives {want:.6g} "
                                  "(LambdaLR multiplies the initial lr 0.5 by your lambda).")
        opt.step()
        scheduler.step()
