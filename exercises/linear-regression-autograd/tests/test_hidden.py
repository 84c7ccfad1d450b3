"""Hidden tests for linear regression with autograd: edge cases, run only on *Submit*."""
import math

import torch

from course_harness import assert_tensor_close, get_function

SIGNATURE = ("fit_linear_regression(X: torch.Tensor, y: torch.Tensor, lr: float, steps: int) "
             "-> tuple[torch.Tensor, torch.Tensor, list[float]]")


def make_data(n=200, d=3, noise=0.1, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=dtype)
    w_true = torch.tensor([2.0, -3.0, 0.5], dtype=dtype)[:d]
    y = X @ w_true + 1.0 + noise * torch.randn(n, generator=g, dtype=dtype)
    return X, y


def fit(*args, **kwargs):
    result = get_function("fit_linear_regression", SIGNATURE)(*args, **kwargs)
    if not isinstance(result, tuple) or len(result) != 3:
        raise AssertionError(f"fit_linear_regression should return a tuple (w, b, losses), got {type(result).__name__}.")
    return result


def test_too_large_learning_rate_raises_floating_point_error():
    X, y = make_data()
    try:
        fit(X, y, lr=5.0, steps=500)  # the parameters grow ~9x per step and overflow to inf, then NaN
    except FloatingPointError:
        return
    except Exception as exc:
        raise AssertionError(f"with lr=5.0 the loss overflows to inf/NaN; fit_linear_regression should then raise "
                             f"FloatingPointError, but it raised {type(exc).__name__}: {exc}.") from None
    raise AssertionError("with lr=5.0 the loss overflows to inf/NaN within a few dozen steps; fit_linear_regression "
                         "should check each loss (math.isfinite(loss.item())) and raise FloatingPointError.")


def test_single_float64_feature_matches_least_squares():
    X, y = make_data(n=80, d=1, seed=3, dtype=torch.float64)
    w, b, losses = fit(X, y, lr=0.2, steps=300)
    A = torch.cat([X, torch.ones(80, 1, dtype=torch.float64)], dim=1)
    sol = torch.linalg.lstsq(A, y[:, None]).solution[:, 0]
    assert_tensor_close(w, sol[:1], atol=1e-6, rtol=0,
                        name="w for one float64 feature (shape (1,), dtype float64 like X)")
    assert_tensor_close(b, sol[1], atol=1e-6, rtol=0, name="b for one float64 feature (a 0-d float64 tensor)")
    assert len(losses) == 300, f"expected 300 losses for steps=300, got {len(losses)}."


def test_each_step_uses_only_the_current_gradient():
    X, y = make_data(n=60, seed=1)
    _, _, losses = fit(X, y, lr=0.05, steps=6)
    # Plain gradient descent with hand-written gradients, in float64.
    Xd, yd = X.double(), y.double()
    w, b, expected = torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64), []
    for _ in range(6):
        r = Xd @ w + b - yd                           # (N,) residuals
        expected.append(float((r ** 2).mean()))
        w, b = w - 0.05 * 2 * Xd.T @ r / 60, b - 0.05 * 2 * r.mean()  # dL/dw = 2/N X^T r, dL/db = 2 mean(r)
    assert len(losses) == 6, f"expected 6 losses for steps=6, got {len(losses)}."
    for step, (got, want) in enumerate(zip(losses, expected)):
        assert math.isclose(got, want, rel_tol=1e-4), (
            f"the loss at step {step} is {got:.6f}, but plain gradient descent gives {want:.6f} "
            f"(all losses: {[round(v, 5) for v in losses]}, expected {[round(v, 5) for v in expected]}). "
            "If the first two steps agree and later ones do not, the gradients are probably not reset after "
            "each update: .backward() adds to .grad.")


def test_zero_steps_returns_the_zero_starting_point():
    X, y = make_data(n=10)
    w, b, losses = fit(X, y, lr=0.1, steps=0)
    assert_tensor_close(w, torch.zeros(3), atol=0, rtol=0, name="w after 0 steps")
    assert_tensor_close(b, torch.zeros(()), atol=0, rtol=0, name="b after 0 steps")
    assert losses == [], f"after 0 steps losses should be an empty list, got {losses!r}."
