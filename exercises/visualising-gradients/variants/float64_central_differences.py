"""Uses central differences computed in float64 (h = 1e-5) and casts back to the grid's dtype; descend moves a (2,) float64 parameter with torch.autograd.grad.
"""
import torch


def gradient_field(f, xs, ys):
    X, Y = torch.meshgrid(xs.double(), ys.double(), indexing="xy")
    h = 1e-5
    dfdx = (f(X + h, Y) - f(X - h, Y)) / (2 * h) + torch.zeros_like(X)
    dfdy = (f(X, Y + h) - f(X, Y - h)) / (2 * h) + torch.zeros_like(Y)
    return dfdx.to(xs.dtype), dfdy.to(xs.dtype)


def descend(f, start, lr, steps):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    out = []
    for k in range(steps + 1):
        value = f(p[0], p[1])
        out.append(value.item())
        if k < steps:
            (g,) = torch.autograd.grad(value, p)
            p = (p - lr * g).detach().requires_grad_(True)
    return out
