"""Public tests for the derivatives exercise: run by *Run* and shown to the learner."""
import torch

from course_harness import assert_tensor_close, get_function

DERIVATIVE = "derivative(f, x: torch.Tensor, h: float = 1e-4) -> torch.Tensor"
AUTOGRAD = "autograd_derivative(f, x: torch.Tensor) -> torch.Tensor"

# (name, f, f') pairs: functions whose derivative we know on paper.
CASES = [
    ("sin", torch.sin, torch.cos),
    ("x**3", lambda t: t ** 3, lambda t: 3 * t ** 2),
    ("exp", torch.exp, torch.exp),
    ("tanh", torch.tanh, lambda t: 1 - torch.tanh(t) ** 2),
]


def test_central_difference_matches_analytic_derivatives_in_float64():
    derivative = get_function("derivative", DERIVATIVE)
    x = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)  # (9,)
    for name, f, df in CASES:
        # With h = 1e-4 the central difference is off by about h²/6·|f'''| ≈ 1e-8 here;
        # a forward difference is off by about h/2·|f''| ≈ 1e-4 and fails.
        assert_tensor_close(derivative(f, x), df(x), atol=1e-7, rtol=1e-7,
                            name=f"derivative({name}, x) at 9 points in [-2, 2] (float64, h=1e-4)")


def test_autograd_derivative_is_exact_in_float64():
    autograd_derivative = get_function("autograd_derivative", AUTOGRAD)
    x = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)  # (9,)
    for name, f, df in CASES:
        # Autograd applies the exact derivative rules, so only rounding error is left
        # (a finite difference would be off by ~1e-8 and fail this tolerance).
        assert_tensor_close(autograd_derivative(f, x), df(x), atol=1e-12, rtol=1e-12,
                            name=f"autograd_derivative({name}, x) at 9 points in [-2, 2] (float64; autograd is exact "
                                 "up to rounding, a finite difference is not)")


def test_both_methods_agree_in_float32_with_a_larger_step():
    derivative = get_function("derivative", DERIVATIVE)
    autograd_derivative = get_function("autograd_derivative", AUTOGRAD)
    x = torch.randn(20)  # (20,) float32
    for name, f, df in CASES:
        exact = autograd_derivative(f, x)
        # float32 keeps ~7 digits: h = 1e-2 balances truncation (~h²) against rounding (~eps/h).
        assert_tensor_close(derivative(f, x, h=1e-2), exact, atol=2e-3, rtol=1e-3,
                            name=f"derivative({name}, x, h=1e-2) compared with autograd_derivative (float32)")
        assert_tensor_close(exact, df(x), atol=1e-5, rtol=1e-5,
                            name=f"autograd_derivative({name}, x) in float32")


def test_a_batch_of_points_keeps_its_shape_and_dtype():
    derivative = get_function("derivative", DERIVATIVE)
    autograd_derivative = get_function("autograd_derivative", AUTOGRAD)
    x = torch.randn(2, 3, 4, dtype=torch.float64)  # (2, 3, 4): any shape is a batch of points
    assert_tensor_close(derivative(torch.sin, x), torch.cos(x), atol=1e-7,
                        name="derivative(torch.sin, x) for x of shape (2, 3, 4)")
    assert_tensor_close(autograd_derivative(torch.sin, x), torch.cos(x), atol=1e-12, rtol=1e-12,
                        name="autograd_derivative(torch.sin, x) for x of shape (2, 3, 4)")
