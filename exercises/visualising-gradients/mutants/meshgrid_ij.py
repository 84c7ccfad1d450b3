"""Uses torch.meshgrid(xs, ys, indexing="ij"): the field comes out as (nx, ny), x along the rows.

Caught by: test_grid_layout_is_rows_for_y_and_columns_for_x
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
    X, Y = torch.meshgrid(xs, ys, indexing="ij")  # (ny, nx) each: row i is ys[i], column j is xs[j]
    X = X.detach().clone().requires_grad_(True)   # copies, so xs and ys are left alone
    Y = Y.detach().clone().requires_grad_(True)
    Z = f(X, Y)                                   # (ny, nx): f at every grid point
    # Z[i, j] depends only on X[i, j] and Y[i, j], so the gradient of the sum
    # holds, at each point, that point's own partial derivatives.
    dfdx, dfdy = torch.autograd.grad(Z.sum(), (X, Y), allow_unused=True)
    dfdx = torch.zeros_like(X) if dfdx is None else dfdx  # f did not use x
    dfdy = torch.zeros_like(Y) if dfdy is None else dfdy  # f did not use y
    return dfdx.detach(), dfdy.detach()


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
