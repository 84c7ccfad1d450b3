"""Hidden tests for gradient accumulation: edge cases, run only on *Submit*."""
import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURE = "accumulated_step(model, loss_fn, batches, optimizer) -> float"


def classification_problem(n=30, seed=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g, dtype=torch.float64)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).long() + (x[:, 3] > 1).long()   # classes 0, 1, 2
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 12), nn.ReLU(), nn.Linear(12, 3)).double()
    return model, x, y


def split(x, y, sizes):
    out, start = [], 0
    for n in sizes:
        out.append((x[start:start + n], y[start:start + n]))
        start += n
    assert start == len(x)
    return out


def reference(model, loss_fn, x, y):
    ref = copy.deepcopy(model)
    loss = loss_fn(ref(x), y)
    loss.backward()
    return [p.grad.clone() for p in ref.parameters()], loss.item()


def test_cross_entropy_with_micro_batches_of_one_sample_and_many():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = classification_problem()
    expected, expected_loss = reference(model, F.cross_entropy, x, y)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = accumulated_step(model, F.cross_entropy, split(x, y, [1, 1, 20, 1, 7]), opt)
    for i, (p, g) in enumerate(zip(model.parameters(), expected)):
        assert_tensor_close(p.grad, g, atol=1e-6, rtol=1e-6,
                            name=f"gradient of parameter {i} (cross-entropy, micro-batch sizes 1, 1, 20, 1, 7)")
    assert abs(loss - expected_loss) < 1e-9, \
        f"returned loss {loss:.6g}, expected the full-batch cross-entropy {expected_loss:.6g}."


def test_a_single_micro_batch_is_an_ordinary_step():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = classification_problem()
    expected, expected_loss = reference(model, F.cross_entropy, x, y)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = accumulated_step(model, F.cross_entropy, [(x, y)], opt)
    for i, (p, g) in enumerate(zip(model.parameters(), expected)):
        assert_tensor_close(p.grad, g, atol=1e-6, rtol=1e-6, name=f"gradient of parameter {i} with one micro-batch")
    assert abs(loss - expected_loss) < 1e-9, f"returned loss {loss:.6g}, expected {expected_loss:.6g}."


def test_the_optimizer_steps_exactly_once():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = classification_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = []
    real_step = opt.step
    opt.step = lambda *a, **k: (calls.append(1), real_step(*a, **k))[1]
    accumulated_step(model, F.cross_entropy, split(x, y, [10, 10, 10]), opt)
    assert len(calls) == 1, (
        f"optimizer.step() was called {len(calls)} time(s) for 3 micro-batches; accumulation takes exactly one "
        "step, after the last micro-batch.")


def test_adam_parameters_match_a_large_batch_adam_step():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = classification_problem()
    big = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    big_opt = torch.optim.Adam(big.parameters(), lr=0.01)
    for _ in range(5):
        accumulated_step(model, F.cross_entropy, split(x, y, [4, 16, 10]), opt)
        big_opt.zero_grad()
        F.cross_entropy(big(x), y).backward()
        big_opt.step()
    for i, (p, q) in enumerate(zip(model.parameters(), big.parameters())):
        assert_tensor_close(p.detach(), q.detach(), atol=1e-6, rtol=1e-6,
                            name=f"parameter {i} after 5 accumulated Adam steps vs 5 large-batch Adam steps")


def test_float32_model_with_unequal_sizes():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    torch.manual_seed(0)
    model = nn.Linear(6, 2)
    x, y = torch.randn(19, 6), torch.randn(19, 2)
    expected, _ = reference(model, F.l1_loss, x, y)
    for p in model.parameters():
        p.grad = torch.randn_like(p)       # stale gradients again
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    accumulated_step(model, F.l1_loss, split(x, y, [2, 11, 6]), opt)
    for i, (p, g) in enumerate(zip(model.parameters(), expected)):
        assert_tensor_close(p.grad, g, atol=1e-5, rtol=1e-5,
                            name=f"gradient of parameter {i} (float32, L1 loss, sizes 2, 11, 6)")
