"""Hidden tests for the linear layer: edge cases, run only on *Submit*."""
import math

import torch
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURE = "class Linear(nn.Module) with __init__(self, in_features: int, out_features: int, bias: bool = True)"


def make(in_features, out_features, bias=True):
    layer = get_function("Linear", SIGNATURE)(in_features, out_features, bias=bias)
    if not isinstance(layer, nn.Module):
        raise AssertionError("Linear must subclass nn.Module and call super().__init__() first.")
    return layer


def copy_weights(source, target):
    with torch.no_grad():
        target.weight.copy_(source.weight)
        if source.bias is not None:
            target.bias.copy_(source.bias)


def test_without_bias_the_layer_has_only_a_weight():
    layer = make(4, 3, bias=False)
    assert getattr(layer, "bias", "missing") is None, (
        "with bias=False, layer.bias should be None (use self.register_parameter('bias', None)).")
    names = [name for name, _ in layer.named_parameters()]
    assert names == ["weight"], f"Linear(4, 3, bias=False) should have the single parameter 'weight', got {names}."
    keys = list(layer.state_dict().keys())
    assert keys == ["weight"], f"Linear(4, 3, bias=False).state_dict() should have the single key 'weight', got {keys}."
    reference = nn.Linear(4, 3, bias=False)
    copy_weights(reference, layer)
    x = torch.randn(5, 4)
    assert_tensor_close(layer(x), reference(x), atol=1e-6, name="Linear(4, 3, bias=False)(x)")


def test_any_number_of_leading_dimensions_works():
    reference = nn.Linear(8, 5)
    layer = make(8, 5)
    copy_weights(reference, layer)
    for shape in ((2, 7, 8), (3, 2, 4, 8), (8,)):
        x = torch.randn(*shape)
        assert_tensor_close(layer(x), reference(x), atol=1e-5, name=f"Linear(8, 5)(x) for x of shape {shape}")


def test_parameters_are_registered_so_an_optimizer_updates_them():
    reference = nn.Linear(3, 2)
    layer = make(3, 2)
    copy_weights(reference, layer)
    names = [name for name, _ in layer.named_parameters()]
    assert names == ["weight", "bias"], (
        f"layer.named_parameters() should give ['weight', 'bias'], got {names}: assign nn.Parameter objects to "
        "self.weight and self.bias (plain tensors or lists are invisible to .parameters()).")
    x, target = torch.randn(6, 3), torch.randn(6, 2)
    for module in (reference, layer):
        optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
        ((module(x) - target) ** 2).mean().backward()
        optimizer.step()
    assert_tensor_close(layer.weight.detach(), reference.weight.detach(), atol=1e-6,
                        name="the weight after one SGD step")
    assert_tensor_close(layer.bias.detach(), reference.bias.detach(), atol=1e-6, name="the bias after one SGD step")
    layer.double()  # .double() converts registered parameters only
    x64 = torch.randn(4, 3, dtype=torch.float64)
    # Against the layer's own (now float64) parameters: after one float32 step, its weights and
    # nn.Linear's may differ in the last bit, which float64 arithmetic would show.
    weight, bias = layer.weight.detach(), layer.bias.detach()
    assert weight.dtype == bias.dtype == torch.float64, (
        f"after layer.double() the parameters are {weight.dtype} and {bias.dtype}: register them as nn.Parameter")
    assert_tensor_close(layer(x64), x64 @ weight.T + bias, atol=1e-12, rtol=1e-10,
                        name="the output after layer.double() on a float64 input")


def test_state_dict_round_trips_with_nn_linear():
    reference = nn.Linear(5, 4)
    layer = make(5, 4)
    keys = sorted(layer.state_dict().keys())
    assert keys == ["bias", "weight"], f"layer.state_dict() should have the keys 'weight' and 'bias', got {keys}."
    layer.load_state_dict(reference.state_dict())
    x = torch.randn(3, 5)
    assert_tensor_close(layer(x), reference(x), atol=1e-6, name="your layer after loading nn.Linear's state_dict")
    other = nn.Linear(5, 4)
    fresh = make(5, 4)  # and back: nn.Linear loads yours
    other.load_state_dict(fresh.state_dict())
    assert_tensor_close(other(x), fresh(x), atol=1e-6, name="nn.Linear after loading your layer's state_dict")


def test_bias_is_drawn_uniformly_within_one_over_sqrt_fan_in():
    for in_features in (9, 100):
        bias = torch.cat([make(in_features, 1000).bias.detach() for _ in range(3)]).to(torch.float64)
        bound = 1 / math.sqrt(in_features)
        largest = float(bias.abs().max())
        assert bound * 0.95 <= largest <= bound * (1 + 1e-6), (
            f"the bias of Linear({in_features}, 1000) reaches {largest:.4f}; it should be drawn uniformly from "
            f"[-k, k] with k = 1/sqrt(in_features) = {bound:.4f} (the bound uses in_features, not out_features).")
        expected_std = bound / math.sqrt(3)
        std = float(bias.std())
        assert abs(std - expected_std) < 0.1 * expected_std, (
            f"the bias of Linear({in_features}, 1000) has standard deviation {std:.4f}, expected about "
            f"{expected_std:.4f} for U(-k, k).")


def test_two_layers_start_with_different_weights():
    a, b = make(10, 10), make(10, 10)
    assert not torch.equal(a.weight, b.weight), (
        "two new layers have identical weights: draw them at random in __init__ (do not reseed there).")
