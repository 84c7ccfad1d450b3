"""Hidden tests for AdamW: edge cases, run only on *Submit*."""
import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURE = ("class AdamW(torch.optim.Optimizer) with __init__(self, params, lr=1e-3, betas=(0.9, 0.999), "
             "eps=1e-8, weight_decay=0.01)")


def adamw_class():
    return get_function("AdamW", SIGNATURE)


def regression_problem(seed=13):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(64, 5, generator=g, dtype=torch.float64)
    y = torch.sin(X @ torch.randn(5, 1, generator=g, dtype=torch.float64)) + 0.1 * torch.randn(
        64, 1, generator=g, dtype=torch.float64)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    return X, y, model


def one_step(model, opt, X, y):
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()


def assert_same_parameters(mine_model, ref_model, what):
    for (name, a), b in zip(mine_model.named_parameters(), ref_model.parameters()):
        assert_tensor_close(a.detach(), b.detach(), atol=1e-6, rtol=1e-6, name=f"parameter {name} {what}")


def train_side_by_side(make_mine, make_ref, what, steps=20, model_factory=regression_problem):
    X, y, model = model_factory()
    mine_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    mine, ref = make_mine(mine_model), make_ref(ref_model)
    for step in range(1, steps + 1):
        one_step(mine_model, mine, X, y)
        one_step(ref_model, ref, X, y)
        assert_same_parameters(mine_model, ref_model, f"after step {step} of {what}")
    return mine_model, ref_model


class GatedModel(nn.Module):
    """`muted` is multiplied by zero (its gradient is all zeros); `unused` is not in the forward pass (grad None)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(5, 1).double()
        self.muted = nn.Parameter(torch.randn(5, 1, dtype=torch.float64))
        self.unused = nn.Parameter(torch.randn(5, 1, dtype=torch.float64))

    def forward(self, x):
        return self.linear(x) + 0.0 * (x @ self.muted)


def test_weights_with_zero_gradient_still_decay():
    X, y, _ = regression_problem()
    model = GatedModel()
    muted0, unused0 = model.muted.detach().clone(), model.unused.detach().clone()
    opt = adamw_class()(model.parameters(), lr=0.1, weight_decay=0.2)
    for _ in range(5):
        one_step(model, opt, X, y)
    # Zero gradient: m = v = 0, so the Adam term is 0 and only the decay acts: 5 times (1 - 0.1 * 0.2).
    assert_tensor_close(model.muted.detach(), muted0 * (1 - 0.1 * 0.2) ** 5, atol=1e-10, rtol=1e-10,
                        name="a parameter whose gradient is all zeros, after 5 steps with lr=0.1, weight_decay=0.2 "
                             "(it should shrink by (1 - lr·wd) each step: decay acts on the weights, not the gradient)")
    assert torch.equal(model.unused.detach(), unused0), (
        "a parameter whose gradient is None (not used in the loss) changed; skip it entirely, as torch.optim.AdamW does.")


def test_other_betas_and_eps_match_torch_adamw():
    AdamW = adamw_class()
    kwargs = dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)
    train_side_by_side(lambda m: AdamW(m.parameters(), **kwargs), lambda m: torch.optim.AdamW(m.parameters(), **kwargs),
                       "your AdamW(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)")


def test_decay_is_decoupled_not_l2():
    AdamW = adamw_class()
    kwargs = dict(lr=0.05, weight_decay=1.0)
    # First make sure this setting really separates the two methods: Adam + L2 ends up far from AdamW.
    X, y, model = regression_problem(seed=21)
    l2_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    l2, ref = torch.optim.Adam(l2_model.parameters(), **kwargs), torch.optim.AdamW(ref_model.parameters(), **kwargs)
    for _ in range(10):
        one_step(l2_model, l2, X, y)
        one_step(ref_model, ref, X, y)
    gap = max(float((a - b).abs().max())
              for a, b in zip(l2_model.state_dict().values(), ref_model.state_dict().values()))
    assert gap > 1e-2, f"test set-up problem: Adam+L2 and AdamW should differ here (gap {gap:.3g})."
    train_side_by_side(lambda m: AdamW(m.parameters(), **kwargs), lambda m: torch.optim.AdamW(m.parameters(), **kwargs),
                       "your AdamW(lr=0.05, weight_decay=1.0) (adding wd·p to the gradient, as Adam with L2 does, "
                       "gives different weights here: apply p ← p − lr·wd·p separately)", steps=10,
                       model_factory=lambda: regression_problem(seed=21))


def test_parameter_groups_with_and_without_decay():
    AdamW = adamw_class()

    def groups(m):  # the usual recipe: decay weight matrices, not biases
        return [dict(params=[m[0].weight, m[2].weight], weight_decay=0.3),
                dict(params=[m[0].bias, m[2].bias], weight_decay=0.0, lr=0.02)]

    train_side_by_side(lambda m: AdamW(groups(m), lr=0.01), lambda m: torch.optim.AdamW(groups(m), lr=0.01),
                       "your AdamW with two parameter groups (weights: weight_decay=0.3; biases: weight_decay=0, "
                       "lr=0.02)")


def test_state_dict_round_trip_continues_identically():
    AdamW = adamw_class()
    X, y, model = regression_problem(seed=3)
    opt = AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
    for _ in range(5):
        one_step(model, opt, X, y)
    clone = copy.deepcopy(model)
    resumed = AdamW(clone.parameters(), lr=0.01, weight_decay=0.1)
    resumed.load_state_dict(copy.deepcopy(opt.state_dict()))
    for step in range(6, 11):
        one_step(model, opt, X, y)
        one_step(clone, resumed, X, y)
        assert_same_parameters(clone, model, f"after step {step} of an AdamW restored with load_state_dict after "
                                             "step 5 (the step count and both moments must live in self.state[p])")


class LateModel(nn.Module):
    """`late` takes part in the loss only from step 3 on (its grad is None before); `extra` is added to the
    optimizer with add_param_group at step 3 and used from then on."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(5, 1).double()
        self.late = nn.Parameter(torch.randn(5, 1, dtype=torch.float64))
        self.extra = nn.Parameter(torch.randn(5, 1, dtype=torch.float64))
        self.step = 0

    def forward(self, x):
        out = self.linear(x)
        if self.step >= 3:
            out = out + torch.tanh(x @ self.late) + torch.tanh(x @ self.extra)
        return out


def test_parameter_with_late_first_gradient():
    AdamW = adamw_class()
    X, y, _ = regression_problem(seed=8)
    torch.manual_seed(1)
    model = LateModel()
    mine_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    kwargs = dict(lr=0.02, weight_decay=0.1)
    mine = AdamW([p for n, p in mine_model.named_parameters() if n != "extra"], **kwargs)
    ref = torch.optim.AdamW([p for n, p in ref_model.named_parameters() if n != "extra"], **kwargs)
    for step in range(1, 9):
        if step == 3:
            mine.add_param_group({"params": [mine_model.extra]})
            ref.add_param_group({"params": [ref_model.extra]})
        mine_model.step = ref_model.step = step
        one_step(mine_model, mine, X, y)
        one_step(ref_model, ref, X, y)
        for (name, a), b in zip(mine_model.named_parameters(), ref_model.parameters()):
            assert_tensor_close(
                a.detach(), b.detach(), atol=1e-6, rtol=1e-6,
                name=f"parameter {name} after step {step} (`late` gets its first gradient at step 3, `extra` joins "
                     "the optimizer at step 3; each parameter needs its own step count in self.state[p], starting "
                     "at its first update, for the bias correction)")
