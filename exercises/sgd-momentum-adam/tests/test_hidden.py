"""Hidden tests for SGD with momentum and Adam: edge cases, run only on *Submit*."""
import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SGD_SIGNATURE = ("class SGDMomentum(torch.optim.Optimizer) with __init__(self, params, lr, momentum=0.9, "
                 "dampening=0.0, nesterov=False, weight_decay=0.0)")
ADAM_SIGNATURE = ("class Adam(torch.optim.Optimizer) with __init__(self, params, lr=1e-3, betas=(0.9, 0.999), "
                  "eps=1e-8, weight_decay=0.0)")


def optimizer_class(name):
    return get_function(name, SGD_SIGNATURE if name == "SGDMomentum" else ADAM_SIGNATURE)


def regression_problem(seed=11):
    """A small float64 regression problem and a model to fit it: X (64, 5), y (64, 1)."""
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


def train_side_by_side(make_mine, make_ref, what, steps=20):
    X, y, model = regression_problem()
    mine_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    mine, ref = make_mine(mine_model), make_ref(ref_model)
    for step in range(1, steps + 1):
        one_step(mine_model, mine, X, y)
        one_step(ref_model, ref, X, y)
        assert_same_parameters(mine_model, ref_model, f"after step {step} of {what}")


def test_nesterov_and_dampening_match_torch_sgd():
    SGDMomentum = optimizer_class("SGDMomentum")
    train_side_by_side(lambda m: SGDMomentum(m.parameters(), lr=0.03, momentum=0.9, nesterov=True),
                       lambda m: torch.optim.SGD(m.parameters(), lr=0.03, momentum=0.9, nesterov=True),
                       "your SGDMomentum(lr=0.03, nesterov=True)")
    train_side_by_side(lambda m: SGDMomentum(m.parameters(), lr=0.05, momentum=0.8, dampening=0.3),
                       lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.8, dampening=0.3),
                       "your SGDMomentum(lr=0.05, momentum=0.8, dampening=0.3)")
    train_side_by_side(lambda m: SGDMomentum(m.parameters(), lr=0.05, momentum=0.0),
                       lambda m: torch.optim.SGD(m.parameters(), lr=0.05),
                       "your SGDMomentum(lr=0.05, momentum=0.0) (plain SGD)")


def test_weight_decay_is_added_to_the_gradient():
    SGDMomentum, Adam = optimizer_class("SGDMomentum"), optimizer_class("Adam")
    train_side_by_side(lambda m: SGDMomentum(m.parameters(), lr=0.05, weight_decay=0.05),
                       lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=0.05),
                       "your SGDMomentum(lr=0.05, weight_decay=0.05)")
    train_side_by_side(lambda m: Adam(m.parameters(), lr=0.01, weight_decay=0.1),
                       lambda m: torch.optim.Adam(m.parameters(), lr=0.01, weight_decay=0.1),
                       "your Adam(lr=0.01, weight_decay=0.1)")


def groups(model, first, second):
    """Two parameter groups: the first linear layer and the last one, each with its own settings."""
    return [dict(params=model[0].parameters(), **first), dict(params=model[2].parameters(), **second)]


def test_parameter_groups_use_their_own_settings():
    SGDMomentum, Adam = optimizer_class("SGDMomentum"), optimizer_class("Adam")
    train_side_by_side(lambda m: SGDMomentum(groups(m, dict(lr=0.1), dict(lr=0.01, momentum=0.5)), lr=0.05),
                       lambda m: torch.optim.SGD(groups(m, dict(lr=0.1), dict(lr=0.01, momentum=0.5)),
                                                 lr=0.05, momentum=0.9),
                       "your SGDMomentum with two parameter groups (lr 0.1 and lr 0.01 with momentum 0.5)")
    train_side_by_side(lambda m: Adam(groups(m, dict(lr=0.05), dict(lr=0.002, betas=(0.8, 0.99))), lr=0.01),
                       lambda m: torch.optim.Adam(groups(m, dict(lr=0.05), dict(lr=0.002, betas=(0.8, 0.99))),
                                                  lr=0.01),
                       "your Adam with two parameter groups (lr 0.05, and lr 0.002 with betas (0.8, 0.99))")


def test_adam_first_step_is_bias_corrected():
    Adam = optimizer_class("Adam")
    X, y, model = regression_problem()
    before = [p.detach().clone() for p in model.parameters()]
    opt = Adam(model.parameters(), lr=0.01)
    one_step(model, opt, X, y)
    # At t = 1, m_hat = g and v_hat = g², so every weight moves by lr·g/(|g| + eps): almost exactly lr.
    for (name, p), p0 in zip(model.named_parameters(), before):
        g = p.grad
        expected = p0 - 0.01 * g / (g.abs() + 1e-8)
        assert_tensor_close(p.detach(), expected, atol=1e-9, rtol=1e-9,
                            name=f"{name} after the first Adam step (each entry should move by about lr = 0.01; "
                                 "without dividing m by 1 - beta1^t and v by 1 - beta2^t the step is about 3x too "
                                 "large)")


class LateBranch(nn.Module):
    """`extra` joins the forward pass only once `use_extra` is switched on."""

    def __init__(self):
        super().__init__()
        self.base = nn.Linear(5, 1).double()
        self.extra = nn.Linear(5, 1).double()
        self.use_extra = False

    def forward(self, x):
        out = self.base(x)
        return out + self.extra(torch.tanh(x)) if self.use_extra else out


def test_adam_counts_steps_per_parameter():
    Adam = optimizer_class("Adam")
    X, y, _ = regression_problem()
    model = LateBranch()
    mine_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    mine = Adam(mine_model.parameters(), lr=0.02)
    ref = torch.optim.Adam(ref_model.parameters(), lr=0.02)
    for step in range(1, 11):
        if step == 6:  # `extra` gets its first gradient at step 6: its own step count starts at 1 there
            mine_model.use_extra = ref_model.use_extra = True
        one_step(mine_model, mine, X, y)
        one_step(ref_model, ref, X, y)
        assert_same_parameters(mine_model, ref_model,
                               f"after step {step} (the `extra` layer first gets a gradient at step 6, so its "
                               "bias correction must use its own step count, stored in self.state[p])")


def test_state_dict_round_trip_continues_identically():
    for cls, kwargs in (("SGDMomentum", dict(lr=0.05, nesterov=True)), ("Adam", dict(lr=0.01))):
        Opt = optimizer_class(cls)
        X, y, model = regression_problem(seed=3)
        opt = Opt(model.parameters(), **kwargs)
        for _ in range(5):
            one_step(model, opt, X, y)
        clone = copy.deepcopy(model)
        resumed = Opt(clone.parameters(), **kwargs)
        resumed.load_state_dict(copy.deepcopy(opt.state_dict()))
        for step in range(6, 11):
            one_step(model, opt, X, y)
            one_step(clone, resumed, X, y)
            assert_same_parameters(clone, model,
                                   f"after step {step} of a {cls} restored with load_state_dict after step 5 "
                                   "(everything the update needs, the step count too, must live in self.state[p])")


def test_sgd_buffer_starts_at_each_parameters_first_gradient():
    SGDMomentum = optimizer_class("SGDMomentum")
    X, y, _ = regression_problem()
    model = LateBranch()
    mine_model, ref_model = copy.deepcopy(model), copy.deepcopy(model)
    kwargs = dict(lr=0.05, momentum=0.8, dampening=0.5)
    mine = SGDMomentum(mine_model.parameters(), **kwargs)
    ref = torch.optim.SGD(ref_model.parameters(), **kwargs)
    for step in range(1, 9):
        if step == 4:  # `extra` gets its first gradient at step 4: its buffer starts as that gradient
            mine_model.use_extra = ref_model.use_extra = True
        one_step(mine_model, mine, X, y)
        one_step(ref_model, ref, X, y)
        assert_same_parameters(mine_model, ref_model,
                               f"after step {step} of your SGDMomentum(lr=0.05, momentum=0.8, dampening=0.5) (the "
                               "`extra` layer first gets a gradient at step 4; its momentum buffer must start as "
                               "that gradient, like every parameter's on its own first update)")
