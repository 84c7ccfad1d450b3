"""Hidden tests for RNN, LSTM and GRU cells: gradients and edge cases, run only on *Submit*."""
import math

import pytest
import torch
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "RNNCell": "class RNNCell(nn.Module): __init__(input_size, hidden_size, bias=True); forward(x, h=None)",
    "LSTMCell": "class LSTMCell(nn.Module): __init__(input_size, hidden_size, bias=True); forward(x, state=None)",
    "GRUCell": "class GRUCell(nn.Module): __init__(input_size, hidden_size, bias=True); forward(x, h=None)",
    "run_sequence": "run_sequence(cell, x, h0=None) -> tuple[torch.Tensor, state]",
}
TORCH_CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}
NAMES = list(TORCH_CELLS)


@pytest.fixture(autouse=True)
def fixed_seed():
    """The same random inputs and weights on every run."""
    torch.manual_seed(0)


def make_pair(name, input_size=5, hidden_size=4, bias=True):
    reference = TORCH_CELLS[name](input_size, hidden_size, bias=bias, dtype=torch.float64)
    mine = get_function(name, SIGNATURES[name])(input_size, hidden_size, bias=bias)
    expected = {n: tuple(p.shape) for n, p in reference.named_parameters()}
    got = {n: tuple(p.shape) for n, p in mine.named_parameters()}
    if got != expected:
        raise AssertionError(f"{name}({input_size}, {hidden_size}, bias={bias}) should have the parameters "
                             f"{expected}, got {got}. With bias=False there are no bias parameters at all "
                             "(register them as None: self.register_parameter('bias_ih', None)).")
    mine = mine.to(torch.float64)
    mine.load_state_dict(reference.state_dict())
    return reference, mine


def flatten(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_torch_cell(name):
    reference, mine = make_pair(name)
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    h = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    c = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    state = (h, c) if name == "LSTMCell" else h
    weights = [torch.randn(3, 4, dtype=torch.float64) for _ in flatten(state)]  # a random scalar loss

    def grads(cell):
        out = flatten(cell(x, state))
        loss = sum((o * w).sum() for o, w in zip(out, weights))
        inputs = [x, *flatten(state), *[p for _, p in sorted(cell.named_parameters())]]
        return torch.autograd.grad(loss, inputs)

    names = ["x", *(["h", "c"] if name == "LSTMCell" else ["h"]), *sorted(n for n, _ in reference.named_parameters())]
    for what, g_mine, g_ref in zip(names, grads(mine), grads(reference)):
        assert_tensor_close(g_mine, g_ref, atol=1e-10, rtol=1e-8, name=f"the gradient w.r.t. {what} of {name}")


@pytest.mark.parametrize("name", NAMES)
def test_missing_state_means_zeros(name):
    reference, mine = make_pair(name)
    x = torch.randn(2, 5, dtype=torch.float64)
    expected = reference(x)
    for o, e, part in zip(flatten(mine(x)), flatten(expected), ("h", "c")):
        assert_tensor_close(o, e, atol=1e-10, rtol=1e-8, name=f"{part} of {name}(x) with no state (zeros)")


def test_bias_false_has_no_bias_parameters():
    for name in NAMES:
        reference, mine = make_pair(name, 3, 6, bias=False)
        x = torch.randn(4, 3, dtype=torch.float64)
        for o, e, part in zip(flatten(mine(x)), flatten(reference(x)), ("h", "c")):
            assert_tensor_close(o, e, atol=1e-10, rtol=1e-8, name=f"{part} of {name}(3, 6, bias=False)(x)")


def test_backpropagation_through_time_matches_nn_lstm():
    run_sequence = get_function("run_sequence", SIGNATURES["run_sequence"])
    reference, mine = make_pair("LSTMCell", 3, 5)
    layer = nn.LSTM(3, 5, dtype=torch.float64)
    with torch.no_grad():
        for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, f"{p}_l0").copy_(getattr(reference, p))
    x = torch.randn(12, 2, 3, dtype=torch.float64, requires_grad=True)   # (T, B, D), a longer sequence
    w = torch.randn(12, 2, 5, dtype=torch.float64)
    outputs, _ = run_sequence(mine, x, None)
    (g_mine,) = torch.autograd.grad((outputs * w).sum(), x)
    expected, _ = layer(x)
    (g_ref,) = torch.autograd.grad((expected * w).sum(), x)
    assert_tensor_close(outputs, expected, atol=1e-10, rtol=1e-8, name="run_sequence(LSTMCell, x, None) outputs")
    assert_tensor_close(g_mine, g_ref, atol=1e-10, rtol=1e-8,
                        name="the gradient w.r.t. x through 12 LSTM steps (backpropagation through time)")


def test_default_initialisation_is_uniform_like_torch():
    torch.manual_seed(0)
    for name in NAMES:
        cell = get_function(name, SIGNATURES[name])(16, 64)
        bound = 1 / math.sqrt(64)
        for pname, p in cell.named_parameters():
            assert float(p.detach().abs().max()) <= bound + 1e-6, (
                f"{name}.{pname} has entries beyond ±1/sqrt(hidden_size) = ±{bound:.3f}; initialise every "
                "parameter from U(-1/sqrt(H), 1/sqrt(H)) like PyTorch.")
            std = float(p.detach().std())
            assert abs(std - bound / math.sqrt(3)) < 0.15 * bound, (
                f"{name}.{pname} has standard deviation {std:.4f}; U(-k, k) with k = {bound:.3f} has "
                f"{bound / math.sqrt(3):.4f}. Initialise every parameter (biases too) uniformly.")


@pytest.mark.parametrize("name", NAMES)
def test_saturated_gates_stay_finite(name):
    # Inputs in the hundreds drive every pre-activation far into saturation: sigmoid -> 0 or 1, tanh -> ±1.
    # torch.sigmoid and torch.tanh handle that; hand-written exp formulas overflow to inf/inf = NaN.
    reference, mine = make_pair(name)
    x = 400.0 * torch.randn(3, 5, dtype=torch.float64)
    h = torch.randn(3, 4, dtype=torch.float64)
    state = (h, 300.0 * torch.randn(3, 4, dtype=torch.float64)) if name == "LSTMCell" else h
    for o, e, part in zip(flatten(mine(x, state)), flatten(reference(x, state)), ("h", "c")):
        assert_tensor_close(o, e, atol=1e-10, rtol=1e-8,
                            name=f"{part} of {name} for inputs of size ~400 (saturated gates; use torch.sigmoid "
                                 "and torch.tanh rather than formulas with exp)")
