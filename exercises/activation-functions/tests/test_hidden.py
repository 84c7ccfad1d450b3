"""Hidden tests for activation functions: edge cases, run only on *Submit*."""
import pytest
import torch
import torch.nn.functional as F

from course_harness import assert_tensor_close, get_function

REFERENCES = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "gelu": F.gelu}
EXTREME = torch.tensor([-1000.0, -100.0, -30.0, -1e-4, 0.0, 1e-4, 30.0, 100.0, 1000.0])


def fn(name):
    signature = "gelu(x, approximate: str = \"none\")" if name == "gelu" else f"{name}(x: torch.Tensor)"
    return get_function(name, signature)


def autograd_derivative(reference, x):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(reference(x).sum(), x)
    return grad


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "gelu"])
def test_extreme_inputs_give_finite_values_and_derivatives(name):
    x = EXTREME.clone()
    assert_tensor_close(fn(name)(x), REFERENCES[name](x), atol=1e-6,
                        name=f"{name}(x) for x = [-1000, -100, -30, -1e-4, 0, 1e-4, 30, 100, 1000]")
    assert_tensor_close(fn(f"{name}_grad")(x), autograd_derivative(REFERENCES[name], x), atol=1e-6,
                        name=f"{name}_grad(x) for x = [-1000, ..., 1000] (no NaN: only exponentiate numbers <= 0)")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "gelu"])
def test_float64_inputs_keep_their_precision(name):
    x = torch.randn(200, dtype=torch.float64) * 4
    assert_tensor_close(fn(name)(x), REFERENCES[name](x), atol=1e-12, rtol=1e-10, name=f"{name}(x) in float64")
    assert_tensor_close(fn(f"{name}_grad")(x), autograd_derivative(REFERENCES[name], x), atol=1e-12, rtol=1e-10,
                        name=f"{name}_grad(x) in float64")


def test_gelu_tanh_approximation_matches_pytorch():
    gelu = fn("gelu")
    x = torch.randn(50) * 3
    expected = F.gelu(x, approximate="tanh")
    assert_tensor_close(gelu(x, approximate="tanh"), expected, atol=1e-6, name='gelu(x, approximate="tanh")')
    x = EXTREME.clone()
    assert_tensor_close(gelu(x, approximate="tanh"), F.gelu(x, approximate="tanh"), atol=1e-5,
                        name='gelu(x, approximate="tanh") for x = [-1000, ..., 1000]')
    x64 = torch.randn(50, dtype=torch.float64) * 3
    assert_tensor_close(gelu(x64, approximate="tanh"), F.gelu(x64, approximate="tanh"), atol=1e-12, rtol=1e-10,
                        name='gelu(x, approximate="tanh") in float64')


def test_shape_of_a_scalar_tensor_is_kept():
    x = torch.tensor(0.7)
    for name in ("sigmoid", "tanh", "relu", "gelu"):
        assert_tensor_close(fn(name)(x), REFERENCES[name](x), atol=1e-6, name=f"{name}(tensor(0.7)), a 0-d tensor")
