"""Updates through .data and resets the gradients by setting them to None.
"""
import math

import torch


def fit_linear_regression(X, y, lr, steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype).requires_grad_()
    b = torch.tensor(0.0, dtype=X.dtype).requires_grad_()
    losses = []
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(X @ w + b, y)
        if not math.isfinite(loss.item()):
            raise FloatingPointError("loss is not finite; lower the learning rate")
        losses.append(loss.item())
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad
        w.grad = None
        b.grad = None
    return w.detach(), b.detach(), losses
