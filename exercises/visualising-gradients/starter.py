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
    X, Y = torch.meshgrid(xs, ys, indexing="xy")  # (ny, nx) each
    raise NotImplementedError("evaluate f on copies of X and Y that require grad, then use torch.autograd.grad")


def descend(f, start: tuple[float, float], lr: float, steps: int) -> list[float]:
    """Gradient descent on ``f(x, y)`` from ``start``.

    Returns:
        ``steps + 1`` floats: f at the start, then f after each update p <- p - lr * grad f(p).
    """
    raise NotImplementedError("loop: record f at the point, then step against the gradient")
