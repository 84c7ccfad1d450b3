"""Passes allow_unused=True but returns the None autograd gives for an input f does not use.

Caught by: test_a_function_that_ignores_y_has_zero_dfdy
"""
import torch


def gradient_field(f, xs: torch.Tensor, ys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Partial derivatives of ``f(x, y)`` at every point of the grid ``xs`` × ``ys``.

    Args:
        f: works elementwise on two tensors of the same shape.
        xs: (nx,) values along x.
        ys: (ny,) values along y.

    Returns:
        (dfdx, dfdy), each of shape (ny, nx), laid out like torch.meshgrid(xs, ys, indexing="xy").
    """
    X, Y = torch.meshgrid(xs, ys, indexing="xy")  # (ny, nx) each: row i is ys[i], column j is xs[j]
    X = X.detach().clone().requires_grad_(True)   # copies, so xs and ys are left alone
    Y = Y.detach().clone().requires_grad_(True)
    Z = f(X, Y)                                   # (ny, nx): f at every grid point
    # Z[i, j] depends only on X[i, j] and Y[i, j], so the gradient of the sum
    # holds, at each point, that point's own partial derivatives.
    dfdx, dfdy = torch.autograd.grad(Z.sum(), (X, Y), allow_unused=True)
    return dfdx, dfdy


def descend(f, start: tuple[float, float], lr: float, steps: int) -> list[float]:
    """Gradient descent on ``f(x, y)`` from ``start``.

    Returns:
        ``steps + 1`` floats: f at the start, then f after each update p <- p - lr * grad f(p).
    """
    x, y = float(start[0]), float(start[1])
    values = []
    for step in range(steps + 1):
        px = torch.tensor([x], dtype=torch.float64)  # (1,): a one-point grid
        py = torch.tensor([y], dtype=torch.float64)
        values.append(float(f(px, py).sum()))
        if step == steps:                             # the last value needs no further step
            break
        dfdx, dfdy = gradient_field(f, px, py)        # (1, 1) each
        x -= lr * float(dfdx.sum())
        y -= lr * float(dfdy.sum())
    return values
