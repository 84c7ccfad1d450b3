"""Public tests for linear regression with autograd: run by *Run* and shown to the learner."""
import math

import torch

from course_harness import assert_not_using, assert_tensor_close, get_function

SIGNATURE = ("fit_linear_regression(X: torch.Tensor, y: torch.Tensor, lr: float, steps: int) "
             "-> tuple[torch.Tensor, torch.Tensor, list[float]]")
# Names that would hand the work to an optimiser, a ready-made layer or a closed-form solver.
FORBIDDEN = {"optim", "SGD", "Adam", "AdamW", "Linear", "lstsq", "pinv", "pinverse", "solve", "inv", "inverse"}


def make_data(n=200, d=3, noise=0.1, seed=0, dtype=torch.float32):
    """n noisy points from y = X @ w_true + 1 with w_true = [2, -3, 0.5][:d]."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=dtype)                                # (N, D)
    w_true = torch.tensor([2.0, -3.0, 0.5], dtype=dtype)[:d]                      # (D,)
    y = X @ w_true + 1.0 + noise * torch.randn(n, generator=g, dtype=dtype)       # (N,)
    return X, y


def least_squares(X, y):
    """The exact minimiser of the MSE: solve for [w, b] with a column of ones appended to X."""
    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], dim=1)  # (N, D + 1)
    sol = torch.linalg.lstsq(A.double(), y.double()[:, None]).solution[:, 0].to(X.dtype)  # (D + 1,)
    return sol[:-1], sol[-1]


def fit(*args, **kwargs):
    result = get_function("fit_linear_regression", SIGNATURE)(*args, **kwargs)
    if not isinstance(result, tuple) or len(result) != 3:
        raise AssertionError(f"fit_linear_regression should return a tuple (w, b, losses), got {type(result).__name__}.")
    return result


def test_weights_match_the_least_squares_solution():
    X, y = make_data()
    w, b, _ = fit(X, y, lr=0.1, steps=200)
    w_star, b_star = least_squares(X, y)
    assert_tensor_close(w, w_star, atol=1e-3, rtol=0, name="w after 200 steps (compared with least squares)")
    assert_tensor_close(b, b_star, atol=1e-3, rtol=0, name="b after 200 steps (a 0-d tensor, compared with least squares)")


def test_loss_starts_at_zero_weights_decreases_and_is_plotted(artifacts):
    X, y = make_data()
    _, _, losses = fit(X, y, lr=0.1, steps=200)
    if not isinstance(losses, list) or len(losses) != 200:
        raise AssertionError(f"losses should be a list of 200 floats (one per step), got {type(losses).__name__} "
                             f"of length {len(losses) if hasattr(losses, '__len__') else '?'}.")
    if not all(isinstance(v, float) for v in losses):
        raise AssertionError("losses should hold Python floats: append loss.item(), not the loss tensor.")
    artifacts.line("training loss", losses, x_label="step", y_label="MSE")
    start = float((y ** 2).mean())
    assert math.isclose(losses[0], start, rel_tol=1e-4), (
        f"losses[0] should be the MSE at w = 0, b = 0, which is mean(y**2) = {start:.4f}; got {losses[0]:.4f}. "
        "Start from zeros and record the loss before updating.")
    rises = [i for i in range(1, len(losses)) if losses[i] > losses[i - 1] * (1 + 1e-5) + 1e-7]
    assert not rises, (f"with lr=0.1 gradient descent should lower the loss every step, but it rose at step {rises[0]} "
                       f"({losses[rises[0] - 1]:.5f} -> {losses[rises[0]]:.5f}). Are the gradients reset each step?")
    assert losses[-1] < 0.02, (f"the final MSE should be near the noise level (0.01), below 0.02; got {losses[-1]:.4f}.")


def test_does_not_use_torch_optim_nn_linear_or_a_closed_form(monkeypatch):
    assert_not_using(FORBIDDEN, "Write the gradient descent update yourself: torch.optim, nn.Linear and closed-form "
                                "solvers (lstsq, pinv, solve, inv) are not allowed in this exercise.")

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(1)
        raise AssertionError("Your code used torch.optim, nn.Linear or a closed-form solver, which this exercise "
                             "does not allow: update w and b yourself under torch.no_grad().")

    monkeypatch.setattr(torch.optim.Optimizer, "__init__", forbidden)
    monkeypatch.setattr(torch.nn.Linear, "__init__", forbidden)
    for owner, name in ((torch.linalg, "lstsq"), (torch.linalg, "pinv"), (torch.linalg, "solve"),
                        (torch.linalg, "inv"), (torch, "pinverse"), (torch, "inverse")):
        monkeypatch.setattr(owner, name, forbidden)
    X, y = make_data(n=50)
    try:
        fit(X, y, lr=0.1, steps=5)
    except Exception:  # noqa: BLE001 - wrong results are the other tests' business; this one checks the rule
        pass
    monkeypatch.undo()
    assert not calls, ("Your code used torch.optim, nn.Linear or a closed-form solver, which this exercise "
                       "does not allow: update w and b yourself under torch.no_grad().")
