"""Packs w and b into one parameter vector over X with a column of ones, asks torch.autograd.grad for the gradient and rebinds a fresh leaf each step.
"""
import torch


def fit_linear_regression(X, y, lr, steps):
    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], dim=1)  # (N, D + 1)
    theta = torch.zeros(A.shape[1], dtype=X.dtype, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = torch.mean((A @ theta - y) ** 2)
        if torch.isnan(loss) or torch.isinf(loss):
            raise FloatingPointError("diverged: use a smaller learning rate")
        losses.append(float(loss))
        (g,) = torch.autograd.grad(loss, theta)
        theta = (theta.detach() - lr * g).requires_grad_(True)
    theta = theta.detach()
    return theta[:-1].clone(), theta[-1].clone(), losses
