"""Public tests for SGD with momentum and Adam: run by *Run* and shown to the learner."""
import copy
import importlib

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import artifacts, assert_not_using, assert_tensor_close, forbidden_uses, get_function

SGD_SIGNATURE = ("class SGDMomentum(torch.optim.Optimizer) with __init__(self, params, lr, momentum=0.9, "
                 "dampening=0.0, nesterov=False, weight_decay=0.0)")
ADAM_SIGNATURE = ("class Adam(torch.optim.Optimizer) with __init__(self, params, lr=1e-3, betas=(0.9, 0.999), "
                  "eps=1e-8, weight_decay=0.0)")
RULE = ("Write the updates yourself with tensor arithmetic (mul_, add_, addcmul_, sqrt): PyTorch's optimizers "
        "and their internals (torch.optim.SGD/Adam/AdamW, torch.optim._functional, torch._foreach_*) are not allowed.")
# Names that may never appear, and names that may only appear as your own class/variable names.
STRICT = ({"SGD", "AdamW", "_functional", "_single_tensor_adam", "_multi_tensor_adam", "_fused_adam",
           "_single_tensor_sgd", "_multi_tensor_sgd", "_fused_sgd"}
          | {name for name in dir(torch) if name.startswith("_foreach_")})
ATTRIBUTE_ONLY = {"Adam", "adam", "sgd", "adamw"}


def optimizer_class(name):
    return get_function(name, SGD_SIGNATURE if name == "SGDMomentum" else ADAM_SIGNATURE)


def regression_problem():
    """A small float64 regression problem and a model to fit it: X (64, 5), y (64, 1)."""
    g = torch.Generator().manual_seed(7)
    X = torch.randn(64, 5, generator=g, dtype=torch.float64)
    y = torch.sin(X @ torch.randn(5, 1, generator=g, dtype=torch.float64)) + 0.1 * torch.randn(
        64, 1, generator=g, dtype=torch.float64)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    return X, y, model


def train_side_by_side(make_mine, make_ref, what, steps=20):
    """Train two copies of one model, with your optimizer and with PyTorch's, comparing after every step."""
    X, y, model = regression_problem()
    mine_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    mine, ref = make_mine(mine_model), make_ref(ref_model)
    losses = []
    try:
        for step in range(1, steps + 1):
            for m, opt in ((mine_model, mine), (ref_model, ref)):
                opt.zero_grad()
                loss = F.mse_loss(m(X), y)
                loss.backward()
                opt.step()
                if opt is mine:
                    losses.append(loss.item())
            for (name, a), b in zip(mine_model.named_parameters(), ref_model.parameters()):
                assert_tensor_close(a.detach(), b.detach(), atol=1e-6, rtol=1e-6,
                                    name=f"parameter {name} after step {step} of {what}")
    finally:
        if losses:
            artifacts().line(f"training loss ({what})", losses, x_label="step", y_label="MSE loss")
    return losses


def test_sgd_momentum_matches_torch_sgd_for_20_steps():
    SGDMomentum = optimizer_class("SGDMomentum")
    losses = train_side_by_side(lambda m: SGDMomentum(m.parameters(), lr=0.05),
                                lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9),
                                "your SGDMomentum(lr=0.05)")
    assert losses[-1] < losses[0], "the loss did not go down during training; check the sign of the update."


def test_adam_matches_torch_adam_for_20_steps():
    Adam = optimizer_class("Adam")
    losses = train_side_by_side(lambda m: Adam(m.parameters(), lr=0.01),
                                lambda m: torch.optim.Adam(m.parameters(), lr=0.01),
                                "your Adam(lr=0.01)")
    assert losses[-1] < losses[0], "the loss did not go down during training; check the sign of the update."


class OneHeadUsed(nn.Module):
    """Two linear heads; only `used` takes part in the forward pass, so `unused` never gets a gradient."""

    def __init__(self):
        super().__init__()
        self.used = nn.Linear(5, 1).double()
        self.unused = nn.Linear(5, 1).double()

    def forward(self, x):
        return self.used(x)


def test_parameters_without_gradient_are_skipped_and_zero_grad_clears():
    X, y, _ = regression_problem()
    for name, make in (("SGDMomentum", lambda ps: optimizer_class("SGDMomentum")(ps, lr=0.05, weight_decay=0.1)),
                       ("Adam", lambda ps: optimizer_class("Adam")(ps, lr=0.01, weight_decay=0.1))):
        model = OneHeadUsed()
        before = {k: v.detach().clone() for k, v in model.named_parameters()}
        opt = make(model.parameters())
        for _ in range(3):
            opt.zero_grad()
            F.mse_loss(model(X), y).backward()
            opt.step()
        for key in ("unused.weight", "unused.bias"):
            p = dict(model.named_parameters())[key]
            assert p.grad is None, f"{key} should still have no gradient; your {name} must not create one."
            assert torch.equal(p.detach(), before[key]), (
                f"your {name} changed {key}, whose gradient is None (it took no part in the loss): skip "
                "parameters with `p.grad is None`, even when weight_decay is set.")
            assert len(opt.state[p]) == 0, (
                f"your {name} created state for {key} although it never had a gradient; create state only "
                "when a parameter is first updated.")
        assert not torch.equal(model.used.weight.detach(), before["used.weight"]), (
            f"your {name} did not change used.weight, which has a gradient.")
        opt.zero_grad()
        assert all(p.grad is None for p in model.parameters()), (
            f"after zero_grad() every gradient should be None (the inherited Optimizer.zero_grad does this).")
        frozen = {k: v.detach().clone() for k, v in model.named_parameters()}
        opt.step()  # no gradients at all: nothing may move
        for key, p in model.named_parameters():
            assert torch.equal(p.detach(), frozen[key]), (
                f"your {name}.step() changed {key} right after zero_grad(), when no parameter had a gradient.")


def test_does_not_use_torch_optimizers(monkeypatch):
    assert_not_using(STRICT, RULE)
    found = [(line, what) for line, what in forbidden_uses(ATTRIBUTE_ONLY) if not what.isidentifier()]
    if found:  # `torch.optim.Adam`, `from torch.optim import Adam`, ... (your own class Adam is fine)
        raise AssertionError(f"{RULE} Found: " + ", ".join(f"line {line} ({what})" for line, what in found) + ".")

    def forbidden(*args, **kwargs):
        raise AssertionError(f"Your optimizer called into PyTorch's optimizer code. {RULE}")

    monkeypatch.setattr(torch.optim.SGD, "step", forbidden)
    monkeypatch.setattr(torch.optim.Adam, "step", forbidden)
    for module_name in ("torch.optim.adam", "torch.optim.sgd", "torch.optim.adamw", "torch.optim._functional"):
        module = importlib.import_module(module_name)
        for name in dir(module):
            if name in ("adam", "sgd", "adamw") or name.startswith(("_single_tensor_", "_multi_tensor_", "_fused_")):
                monkeypatch.setattr(module, name, forbidden)
    for name in dir(torch):
        if name.startswith("_foreach_"):
            monkeypatch.setattr(torch, name, forbidden)
    X, y, model = regression_problem()
    for cls, kwargs in (("SGDMomentum", dict(lr=0.05, nesterov=True, weight_decay=0.01)),
                        ("Adam", dict(lr=0.01, weight_decay=0.01))):
        opt = optimizer_class(cls)(model.parameters(), **kwargs)
        for _ in range(2):
            opt.zero_grad()
            F.mse_loss(model(X), y).backward()
            opt.step()
