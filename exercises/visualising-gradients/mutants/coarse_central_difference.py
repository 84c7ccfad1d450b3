"""Central differences with h = 1e-2: exact for the quadratic bowl, but off by ~h²·f'''/6 ≈ 1e-5 for sin and exp.

Caught by: test_grid_layout_is_rows_for_y_and_columns_for_x, test_a_gaussian_bump
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
    h = 1e-2
    dfdx = (f(X + h, Y) - f(X - h, Y)) / (2 * h)
    dfdy = (f(X, Y + h) - f(X, Y - h)) / (2 * h)
    return dfdx + torch.zeros_like(X), dfdy + torch.zeros_like(Y)


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
