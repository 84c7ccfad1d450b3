"""Hidden tests for the derivatives exercise: edge cases, run only on *Submit*."""
import math

import torch

from course_harness import assert_tensor_close, get_function

DERIVATIVE = "derivative(f, x: torch.Tensor, h: float = 1e-4) -> torch.Tensor"
AUTOGRAD = "autograd_derivative(f, x: torch.Tensor) -> torch.Tensor"


def test_error_shrinks_like_h_squared():
    derivative = get_function("derivative", DERIVATIVE)
    x = torch.linspace(0.3, 2.5, 5, dtype=torch.float64)  # (5,), cos(x) is not 0 here
    errors = [float((derivative(torch.sin, x, h=h) - torch.cos(x)).abs().max()) for h in (1e-1, 1e-2)]
    ratio = errors[0] / max(errors[1], 1e-300)
    assert 80 < ratio < 120, (
        f"Making h 10 times smaller shrank the error by a factor of {ratio:.3g} "
        f"(errors {errors[0]:.3g} at h=0.1 and {errors[1]:.3g} at h=0.01). A central difference "
        "(f(x+h) - f(x-h)) / (2h) has error ~h², so the factor should be close to 100; "
        "a factor near 10 means a one-sided (forward or backward) difference.")


def test_a_large_step_gives_the_exact_central_difference_value():
    derivative = get_function("derivative", DERIVATIVE)
    x = torch.linspace(-1.5, 1.5, 7, dtype=torch.float64)  # (7,)
    h = 0.5
    # For sin and exp the central difference has a closed form, so the large-h error is predictable:
    # (sin(x+h) - sin(x-h)) / 2h = cos(x)·sin(h)/h  and  (e^(x+h) - e^(x-h)) / 2h = e^x·sinh(h)/h.
    assert_tensor_close(derivative(torch.sin, x, h=h), torch.cos(x) * math.sin(h) / h, atol=1e-12,
                        name="derivative(torch.sin, x, h=0.5) (should be cos(x)·sin(h)/h: use the h you are given)")
    assert_tensor_close(derivative(torch.exp, x, h=h), torch.exp(x) * math.sinh(h) / h, atol=1e-12,
                        name="derivative(torch.exp, x, h=0.5) (should be exp(x)·sinh(h)/h)")


def test_kinks_relu_and_abs_at_zero_behave_as_documented():
    derivative = get_function("derivative", DERIVATIVE)
    autograd_derivative = get_function("autograd_derivative", AUTOGRAD)
    x = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
    assert_tensor_close(derivative(torch.relu, x), torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64), atol=1e-9,
                        name="derivative(torch.relu, [-1, 0, 1]) (at 0: the average of the slopes 0 and 1)")
    assert_tensor_close(autograd_derivative(torch.relu, x), torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64),
                        atol=0, rtol=0, name="autograd_derivative(torch.relu, [-1, 0, 1]) (PyTorch uses 0 at 0)")
    assert_tensor_close(derivative(torch.abs, x), torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64), atol=1e-9,
                        name="derivative(torch.abs, [-1, 0, 1])")
    assert_tensor_close(autograd_derivative(torch.abs, x), torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64),
                        atol=0, rtol=0, name="autograd_derivative(torch.abs, [-1, 0, 1])")


def test_x_is_not_modified():
    derivative = get_function("derivative", DERIVATIVE)
    autograd_derivative = get_function("autograd_derivative", AUTOGRAD)
    x = torch.randn(6, dtype=torch.float64)
    before = x.clone()
    derivative(torch.sin, x)
    autograd_derivative(torch.sin, x)
    assert_tensor_close(x, before, atol=0, rtol=0, name="x after calling your functions (it must not change)")
    assert not x.requires_grad, (
        "autograd_derivative switched on requires_grad for the caller's x. "
        "Work on a copy instead: x.detach().clone().requires_grad_(True).")

    # A leaf that already requires grad: its .grad must stay untouched (no .backward() into it).
    w = torch.randn(4, dtype=torch.float64, requires_grad=True)
    out = autograd_derivative(torch.tanh, w)
    assert w.grad is None, ("autograd_derivative wrote into x.grad of the caller's tensor. Differentiate a "
                            "detached copy, or use torch.autograd.grad, which returns the gradient instead.")
    assert_tensor_close(out, 1 - torch.tanh(w.detach()) ** 2, atol=1e-12,
                        name="autograd_derivative(torch.tanh, x) for an x that already requires grad")


def test_many_points_in_float32_and_float64():
    derivative = get_function("derivative", DERIVATIVE)
    autograd_derivative = get_function("autograd_derivative", AUTOGRAD)
    for dtype, h, atol in ((torch.float64, 1e-4, 1e-7), (torch.float32, 1e-2, 1e-3)):
        x = torch.randn(8, 16, dtype=dtype) * 2  # (8, 16)
        f = lambda t: torch.sin(t) * t ** 2       # noqa: E731  (f' = cos(t) t² + 2 t sin(t))
        expected = torch.cos(x) * x ** 2 + 2 * x * torch.sin(x)
        assert_tensor_close(derivative(f, x, h=h), expected, atol=atol, rtol=1e-3,
                            name=f"derivative(sin(t)·t², x, h={h}) for x of shape (8, 16) and dtype {dtype}")
        assert_tensor_close(autograd_derivative(f, x), expected, atol=1e-4 if dtype == torch.float32 else 1e-12,
                            rtol=1e-5, name=f"autograd_derivative(sin(t)·t², x) for x of shape (8, 16), dtype {dtype}")
