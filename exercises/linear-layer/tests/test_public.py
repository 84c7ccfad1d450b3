"""Public tests for the linear layer: run by *Run* and shown to the learner."""
import ast
import inspect
import math

import pytest
import torch
from torch import nn

from course_harness import assert_tensor_close, get_function, submission

SIGNATURE = "class Linear(nn.Module) with __init__(self, in_features: int, out_features: int, bias: bool = True)"
# Attribute or imported names that would hand the work to PyTorch's own linear layer.
FORBIDDEN = {"Linear", "LazyLinear", "linear", "Bilinear", "bilinear", "NonDynamicallyQuantizableLinear"}


def make(in_features, out_features, bias=True):
    cls = get_function("Linear", SIGNATURE)
    layer = cls(in_features, out_features, bias=bias)
    if not isinstance(layer, nn.Module):
        raise AssertionError("Linear must subclass nn.Module (class Linear(nn.Module): ...) and call "
                             "super().__init__() first.")
    return layer


def copy_weights(source, target):
    """Copy weight and bias from one layer into the other without recording gradients."""
    with torch.no_grad():
        target.weight.copy_(source.weight)
        if source.bias is not None:
            target.bias.copy_(source.bias)


def test_weight_and_bias_have_the_shapes_of_nn_linear():
    layer = make(5, 3)
    for name, shape in (("weight", (3, 5)), ("bias", (3,))):
        value = getattr(layer, name, None)
        if not isinstance(value, nn.Parameter):
            raise AssertionError(f"layer.{name} should be an nn.Parameter, got {type(value).__name__}; wrap the "
                                 f"tensor: self.{name} = nn.Parameter(torch.empty(...)).")
        assert tuple(value.shape) == shape, (
            f"Linear(5, 3).{name} has shape {tuple(value.shape)}, expected {shape}: the weight is stored as "
            "(out_features, in_features) and the bias as (out_features,).")


def test_output_matches_nn_linear_with_the_same_weights():
    reference = nn.Linear(6, 4)
    layer = make(6, 4)
    copy_weights(reference, layer)
    x = torch.randn(10, 6)  # (B, in)
    assert_tensor_close(layer(x), reference(x), atol=1e-6, name="Linear(6, 4)(x) for x of shape (10, 6)")


def test_gradients_match_nn_linear():
    reference = nn.Linear(5, 3)
    layer = make(5, 3)
    copy_weights(reference, layer)
    x = torch.randn(8, 5)
    x_ref, x_ours = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    upstream = torch.randn(8, 3)  # weights for a scalar loss
    (reference(x_ref) * upstream).sum().backward()
    (layer(x_ours) * upstream).sum().backward()
    if layer.weight.grad is None or layer.bias.grad is None:
        raise AssertionError("after backward(), layer.weight.grad or layer.bias.grad is None: build the output from "
                             "the parameters themselves (no .detach(), .data or copies).")
    assert_tensor_close(layer.weight.grad, reference.weight.grad, atol=1e-5, name="the gradient of the weight")
    assert_tensor_close(layer.bias.grad, reference.bias.grad, atol=1e-5, name="the gradient of the bias")
    assert_tensor_close(x_ours.grad, x_ref.grad, atol=1e-5, name="the gradient of the input x")


def test_weights_are_drawn_uniformly_within_one_over_sqrt_fan_in():
    for in_features, out_features in ((256, 128), (16, 2000)):
        weight = make(in_features, out_features).weight.detach().to(torch.float64)
        bound = 1 / math.sqrt(in_features)
        what = f"Linear({in_features}, {out_features}).weight"
        largest = float(weight.abs().max())
        assert largest <= bound * (1 + 1e-6), (
            f"{what} has an entry of size {largest:.4f}, outside [-k, k] with k = 1/sqrt({in_features}) = {bound:.4f}.")
        assert largest >= 0.95 * bound, (
            f"the largest entry of {what} is only {largest:.4f}; values drawn uniformly from [-k, k] with "
            f"k = {bound:.4f} fill the whole range. Check the bound.")
        expected_std = bound / math.sqrt(3)  # the standard deviation of U(-k, k)
        std = float(weight.std())
        assert abs(std - expected_std) < 0.1 * expected_std, (
            f"{what} has standard deviation {std:.4f}; a uniform draw from [-k, k] with k = {bound:.4f} has "
            f"{expected_std:.4f}. Use nn.init.uniform_(..., -k, k), not randn.")
        mean = float(weight.mean())
        assert abs(mean) < 0.05 * bound, f"{what} has mean {mean:.4f}; it should be centred on 0."


def test_does_not_use_nn_linear_or_f_linear(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):
        tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torch") and any(
                a.name in FORBIDDEN for a in node.names):
            found.append((node.lineno, f"from {node.module} import ..."))
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in sorted(set(found)))
        pytest.fail("The point of this exercise is to write the layer yourself, so nn.Linear, nn.LazyLinear and "
                    f"F.linear are not allowed. Found: {where}. Use x @ self.weight.T + self.bias instead.")

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(1)
        raise AssertionError("Your Linear used PyTorch's nn.Linear or F.linear, which this exercise does not allow. "
                             "Use x @ self.weight.T + self.bias instead.")

    monkeypatch.setattr(torch.nn.functional, "linear", forbidden)
    monkeypatch.setattr(torch.nn.Linear, "__init__", forbidden)
    try:
        make(4, 2)(torch.randn(3, 4))
    except Exception:  # noqa: BLE001 - other failures are the other tests' business; this one checks the rule
        pass
    monkeypatch.undo()
    assert not calls, ("Your Linear used PyTorch's nn.Linear or F.linear, which this exercise does not allow. "
                       "Use x @ self.weight.T + self.bias instead.")
