"""Public tests for gradient accumulation: run by *Run* and shown to the learner."""
import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import artifacts, assert_tensor_close, get_function

SIGNATURE = "accumulated_step(model, loss_fn, batches, optimizer) -> float"


def make_problem(n=24, seed=0):
    """A float64 regression problem and a small MLP."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g, dtype=torch.float64)             # (N, 5)
    y = torch.sin(x.sum(dim=1, keepdim=True)) + 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    return model, x, y


def split(x, y, sizes):
    out, start = [], 0
    for n in sizes:
        out.append((x[start:start + n], y[start:start + n]))
        start += n
    return out


def full_batch_grads(model, loss_fn, x, y):
    ref = copy.deepcopy(model)
    ref.zero_grad()
    loss = loss_fn(ref(x), y)
    loss.backward()
    return [p.grad.clone() for p in ref.parameters()], loss.item()


def check_grads(model, expected, what):
    for i, (p, g) in enumerate(zip(model.parameters(), expected)):
        if p.grad is None:
            raise AssertionError(f"parameter {i} has no gradient after accumulated_step; "
                                 "call backward() on each micro-batch loss and do not zero the gradients after the step.")
        assert_tensor_close(p.grad, g, atol=1e-6, rtol=1e-6, name=f"the accumulated gradient of parameter {i} ({what})")


def test_equal_micro_batches_give_the_full_batch_gradient():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = make_problem()
    expected, _ = full_batch_grads(model, F.mse_loss, x, y)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    accumulated_step(model, F.mse_loss, split(x, y, [6, 6, 6, 6]), opt)
    check_grads(model, expected, "4 micro-batches of 6 vs one batch of 24")


def test_unequal_micro_batches_are_weighted_by_their_size():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = make_problem()
    expected, _ = full_batch_grads(model, F.mse_loss, x, y)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    accumulated_step(model, F.mse_loss, split(x, y, [13, 2, 9]), opt)
    check_grads(model, expected, "micro-batches of 13, 2 and 9 vs one batch of 24; "
                                 "did you weight each micro-batch by n_i / N?")


def test_old_gradients_are_cleared_before_accumulating():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = make_problem()
    expected, _ = full_batch_grads(model, F.mse_loss, x, y)
    for p in model.parameters():
        p.grad = torch.full_like(p, 3.0)   # leftovers from some earlier backward pass
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    accumulated_step(model, F.mse_loss, split(x, y, [8, 8, 8]), opt)
    check_grads(model, expected, "when .grad held old values before the call; zero the gradients first")


def test_each_micro_batch_is_backpropagated_before_the_next_forward():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    net, x, y = make_problem()
    events = []

    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, inp):
            i = sum(1 for e in events if e[0] == "forward")
            events.append(("forward", i, len(inp)))
            out = self.net(inp)
            out.register_hook(lambda grad: events.append(("backward", i, len(inp))))
            return out

    model = Recorder()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    accumulated_step(model, F.mse_loss, split(x, y, [10, 4, 10]), opt)
    forwards = [e for e in events if e[0] == "forward"]
    assert [e[2] for e in forwards] == [10, 4, 10], (
        f"the model saw batches of sizes {[e[2] for e in forwards]}; expected one forward per micro-batch "
        "(sizes 10, 4, 10). Do not concatenate the micro-batches: that needs the memory accumulation saves.")
    expected = [("forward", 0, 10), ("backward", 0, 10), ("forward", 1, 4), ("backward", 1, 4),
                ("forward", 2, 10), ("backward", 2, 10)]
    assert events == expected, (
        f"the order of passes was {[(e[0], e[1]) for e in events]}; expected forward 0, backward 0, forward 1, "
        "backward 1, ... Call backward() on each micro-batch's loss inside the loop: summing the losses and "
        "calling backward() once at the end keeps every micro-batch's graph in memory.")


def test_the_step_equals_a_large_batch_step_and_training_converges():
    accumulated_step = get_function("accumulated_step", SIGNATURE)
    model, x, y = make_problem()
    big = copy.deepcopy(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    big_opt = torch.optim.SGD(big.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for step in range(30):
        loss = accumulated_step(model, F.mse_loss, split(x, y, [7, 5, 12]), opt)
        big_opt.zero_grad()
        big_loss = F.mse_loss(big(x), y)
        big_loss.backward()
        big_opt.step()
        losses.append(loss)
        assert isinstance(loss, float), f"accumulated_step should return a Python float, got {type(loss).__name__}."
        assert abs(loss - big_loss.item()) < 1e-9, (
            f"step {step}: accumulated_step returned {loss:.6g}, but the full-batch mean loss was "
            f"{big_loss.item():.6g}. Return the size-weighted mean of the micro-batch losses.")
        if step in (0, 29):
            for i, (p, q) in enumerate(zip(model.parameters(), big.parameters())):
                assert_tensor_close(p.detach(), q.detach(), atol=1e-6, rtol=1e-6,
                                    name=f"parameter {i} after {step + 1} accumulated step(s) vs large-batch step(s)")
    artifacts().line("training loss (3 micro-batches per step)", losses, x_label="step", y_label="loss")
