"""Creates w and b without dtype=X.dtype: float64 data meets float32 parameters.

Caught by: test_single_float64_feature_matches_least_squares
"""
import math

import torch


def fit_linear_regression(X: torch.Tensor, y: torch.Tensor, lr: float, steps: int
                          ) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Fit y ≈ X @ w + b by gradient descent on the mean squared error.

    Args:
        X: (N, D) inputs.
        y: (N,) targets.
        lr: learning rate.
        steps: number of gradient steps.

    Returns:
        w (D,), b (0-d tensor), and the list of `steps` losses (floats, before each update).

    Raises:
        FloatingPointError: if the loss becomes NaN or infinite.
    """
    N, D = X.shape
    # Leaf tensors that autograd tracks: backward() writes their .grad.
    w = torch.zeros(D, requires_grad=True)   # (D,)
    b = torch.zeros((), requires_grad=True)  # ()
    losses: list[float] = []
    for step in range(steps):
        pred = X @ w + b                     # (N,)
        loss = ((pred - y) ** 2).mean()      # () scalar MSE
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss became {value} at step {step}: gradient descent diverged; "
                                     f"try a smaller learning rate than lr={lr}.")
        losses.append(value)
        loss.backward()                      # fills w.grad (D,) and b.grad ()
        with torch.no_grad():                # the update is not part of the model
            w -= lr * w.grad
            b -= lr * b.grad
            # backward() accumulates into .grad, so clear it for the next step.
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach(), losses
