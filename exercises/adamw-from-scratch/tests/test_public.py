"""Public tests for AdamW: run by *Run* and shown to the learner."""
import copy
import importlib

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import artifacts, assert_not_using, assert_tensor_close, forbidden_uses, get_function

SIGNATURE = ("class AdamW(torch.optim.Optimizer) with __init__(self, params, lr=1e-3, betas=(0.9, 0.999), "
             "eps=1e-8, weight_decay=0.01)")
RULE = ("Write the AdamW update yourself with tensor arithmetic (mul_, add_, addcmul_, sqrt): PyTorch's "
        "optimizers and their internals (torch.optim.AdamW/Adam, torch.optim._functional, torch._foreach_*) "
        "are not allowed.")
# Names that may never appear, and names that may only appear as your own class/variable names.
STRICT = ({"SGD", "_functional", "_single_tensor_adam", "_multi_tensor_adam", "_fused_adam",
           "_single_tensor_adamw", "_multi_tensor_adamw", "_fused_adamw"}
          | {name for name in dir(torch) if name.startswith("_foreach_")})
ATTRIBUTE_ONLY = {"AdamW", "Adam", "adamw", "adam"}


def adamw_class():
    return get_function("AdamW", SIGNATURE)


def regression_problem():
    """A small float64 regression problem and a model to fit it: X (64, 5), y (64, 1)."""
    g = torch.Generator().manual_seed(5)
    X = torch.randn(64, 5, generator=g, dtype=torch.float64)
    y = torch.sin(X @ torch.randn(5, 1, generator=g, dtype=torch.float64)) + 0.1 * torch.randn(
        64, 1, generator=g, dtype=torch.float64)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    return X, y, model


def train_side_by_side(kwargs, what, hint="", steps=20):
    """Train two copies of one model, with your AdamW and torch.optim.AdamW, comparing after every step."""
    X, y, model = regression_problem()
    mine_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    mine = adamw_class()(mine_model.parameters(), **kwargs)
    ref = torch.optim.AdamW(ref_model.parameters(), **kwargs)
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
                                    name=f"parameter {name} after step {step} of {what}{hint}")
    finally:
        if losses:
            artifacts().line(f"training loss ({what})", losses, x_label="step", y_label="MSE loss")
    return losses


def test_adamw_matches_torch_adamw_for_20_steps():
    losses = train_side_by_side(dict(lr=0.01), "your AdamW(lr=0.01)")
    assert losses[-1] < losses[0], "the loss did not go down during training; check the sign of the update."


def test_strong_weight_decay_matches_torch_adamw():
    train_side_by_side(dict(lr=0.02, weight_decay=0.5), "your AdamW(lr=0.02, weight_decay=0.5)",
                       hint=" (if only this test fails, check that the decay shrinks the weights directly, "
                            "p ← p − lr·wd·p, and stays out of the gradient)")


def test_default_hyperparameters_match_torch_adamw():
    _, _, model = regression_problem()
    group = adamw_class()(model.parameters()).param_groups[0]
    for key, expected in (("lr", 1e-3), ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0.01)):
        assert key in group, f"your AdamW's parameter group has no {key!r}; pass it to Optimizer.__init__ in defaults."
        got = tuple(group[key]) if key == "betas" else group[key]
        assert got == expected, f"the default {key} should be {expected} (as in torch.optim.AdamW), got {got}."


def test_does_not_use_torch_optimizers(monkeypatch):
    assert_not_using(STRICT, RULE)
    found = [(line, what) for line, what in forbidden_uses(ATTRIBUTE_ONLY) if not what.isidentifier()]
    if found:  # `torch.optim.AdamW`, `from torch.optim import AdamW`, ... (your own class AdamW is fine)
        raise AssertionError(f"{RULE} Found: " + ", ".join(f"line {line} ({what})" for line, what in found) + ".")

    def forbidden(*args, **kwargs):
        raise AssertionError(f"Your optimizer called into PyTorch's optimizer code. {RULE}")

    for cls in (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD):
        if "step" in vars(cls):
            monkeypatch.setattr(cls, "step", forbidden)
    for module_name in ("torch.optim.adam", "torch.optim.adamw", "torch.optim._functional"):
        module = importlib.import_module(module_name)
        for name in dir(module):
            if name in ("adam", "adamw") or name.startswith(("_single_tensor_", "_multi_tensor_", "_fused_")):
                monkeypatch.setattr(module, name, forbidden)
    for name in dir(torch):
        if name.startswith("_foreach_"):
            monkeypatch.setattr(torch, name, forbidden)
    X, y, model = regression_problem()
    opt = adamw_class()(model.parameters(), lr=0.01, weight_decay=0.1)
    for _ in range(2):
        opt.zero_grad()
        F.mse_loss(model(X), y).backward()
        opt.step()
