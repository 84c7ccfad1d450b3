"""Public tests for backpropagation by hand: run by *Run* and shown to the learner."""
import ast
import inspect
import math

import pytest
import torch
import torch.nn.functional as F

from course_harness import artifacts, assert_tensor_close, get_function, submission

FORWARD = "forward(x: torch.Tensor, y: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]"
BACKWARD = "backward(cache: dict) -> dict[str, torch.Tensor]"
NAMES = ("W1", "b1", "W2", "b2")
# Attribute names that would let autograd compute the gradients instead of your chain rule.
AUTOGRAD_NAMES = {"backward", "autograd", "grad", "func", "vjp", "jacrev", "jacfwd", "jacobian", "functional_call"}


def make_params(D, H, O, dtype=torch.float64):
    """Random parameters in the nn.Linear layout (out, in)."""
    return {"W1": torch.randn(H, D, dtype=dtype) / math.sqrt(D), "b1": torch.randn(H, dtype=dtype) * 0.1,
            "W2": torch.randn(O, H, dtype=dtype) / math.sqrt(H), "b2": torch.randn(O, dtype=dtype) * 0.1}


def reference_loss(x, y, params):
    h = torch.tanh(x @ params["W1"].T + params["b1"])
    return F.mse_loss(h @ params["W2"].T + params["b2"], y)


def autograd_grads(x, y, params):
    """What autograd says the gradients are."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    grads = torch.autograd.grad(reference_loss(x, y, leaves), [leaves[k] for k in NAMES])
    return dict(zip(NAMES, grads))


def run(x, y, params):
    """The learner's forward then backward; checks the returned structure."""
    result = get_function("forward", FORWARD)(x, y, params)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"forward must return a pair (loss, cache), but it returned {type(result).__name__}.")
    loss, cache = result
    grads = get_function("backward", BACKWARD)(cache)
    if not isinstance(grads, dict):
        raise AssertionError(f"backward must return a dict of gradients, but it returned {type(grads).__name__}.")
    missing = [k for k in NAMES if k not in grads]
    if missing:
        raise AssertionError(f"backward's dict has no entry for {', '.join(missing)}; it needs the keys "
                             "'W1', 'b1', 'W2', 'b2'.")
    return loss, grads


def test_loss_is_the_mean_squared_error_of_the_network():
    params = make_params(3, 5, 2)
    x, y = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    result = get_function("forward", FORWARD)(x, y, params)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"forward must return a pair (loss, cache), but it returned {type(result).__name__}.")
    assert_tensor_close(result[0], reference_loss(x, y, params), atol=1e-12, rtol=1e-10,
                        name="the loss returned by forward (a 0-d tensor equal to F.mse_loss(pred, y))")


def test_backward_returns_a_gradient_shaped_like_each_parameter():
    params = make_params(4, 7, 3)
    x, y = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    _, grads = run(x, y, params)
    for name in NAMES:
        g = grads[name]
        if not isinstance(g, torch.Tensor):
            raise AssertionError(f"grads[{name!r}] should be a tensor, got {type(g).__name__}.")
        assert g.shape == params[name].shape, (
            f"grads[{name!r}] has shape {tuple(g.shape)}, but {name} has shape {tuple(params[name].shape)}: "
            "a gradient always has the shape of the thing it is the gradient of.")


def test_gradients_match_autograd():
    params = make_params(3, 6, 2)
    x, y = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 2, dtype=torch.float64)
    expected = autograd_grads(x, y, params)
    _, grads = run(x, y, params)
    for name in ("W2", "b2", "W1", "b1"):  # in the order backpropagation reaches them
        assert_tensor_close(grads[name], expected[name], atol=1e-10, rtol=1e-8, name=f"dL/d{name}")


def test_gradients_are_computed_by_hand_without_autograd(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):
        tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in AUTOGRAD_NAMES:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and (
                (node.module or "").startswith(("torch.autograd", "torch.func"))
                or any(a.name in AUTOGRAD_NAMES for a in node.names)):
            found.append((node.lineno, f"from {node.module} import ..."))
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in sorted(set(found)))
        pytest.fail("This exercise is about writing backpropagation yourself, so .backward(), torch.autograd and "
                    f"torch.func are not allowed anywhere in your code. Found: {where}.")

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(1)
        raise AssertionError("your code called autograd (.backward() or torch.autograd.grad); "
                             "apply the chain rule by hand instead.")

    params = make_params(3, 4, 2)
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    try:
        run(x, y, params)
    except Exception:  # noqa: BLE001 - it fails even with autograd available: the other tests report that
        return
    monkeypatch.setattr(torch.Tensor, "backward", forbidden)
    monkeypatch.setattr(torch.autograd, "backward", forbidden)
    monkeypatch.setattr(torch.autograd, "grad", forbidden)
    try:
        with torch.no_grad():  # no graph is recorded: only hand-written gradients can work here
            run(x, y, params)
    except Exception as exc:  # noqa: BLE001
        if calls:
            raise AssertionError("your code called autograd (.backward() or torch.autograd.grad) while it ran; "
                                 "apply the chain rule by hand instead.") from None
        raise AssertionError(f"forward and backward work normally but fail with autograd switched off "
                             f"(torch.no_grad()): {type(exc).__name__}: {exc}. Compute the gradients by hand, "
                             "without autograd.") from None
    monkeypatch.undo()
    assert not calls, ("your code called autograd (.backward() or torch.autograd.grad) while it ran; "
                       "apply the chain rule by hand instead.")
    # This test is a rule (breaking it scores 0), so it checks only the method; the values are checked elsewhere.


def test_gradient_descent_with_your_gradients_fits_a_sine_curve():
    x = torch.linspace(-3, 3, 64, dtype=torch.float64).unsqueeze(1)  # (N, D) = (64, 1)
    y = torch.sin(x)                                                 # (N, O) = (64, 1)
    params = make_params(1, 16, 1)
    losses = []
    for _ in range(400):
        loss, grads = run(x, y, params)
        losses.append(float(loss))
        params = {k: params[k] - 0.1 * grads[k] for k in NAMES}  # one step of plain gradient descent
    artifacts().line("training loss (gradient descent with your gradients)", losses, x_label="step", y_label="MSE")
    assert all(math.isfinite(v) for v in losses), "the loss became NaN or inf during gradient descent."
    assert losses[-1] < 0.25 * losses[0], (
        f"400 steps of gradient descent with your gradients took the loss only from {losses[0]:.4f} to "
        f"{losses[-1]:.4f}; with correct gradients it falls below a quarter of its start.")
