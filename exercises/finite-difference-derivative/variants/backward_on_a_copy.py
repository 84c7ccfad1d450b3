"""autograd_derivative calls .backward(torch.ones_like(y)) on a detached copy and reads its .grad.
"""
import torch


def derivative(f, x, h=1e-4):
    ahead, behind = f(x + h), f(x - h)
    return (ahead - behind) / (h + h)


def autograd_derivative(f, x):
    copy = torch.tensor(x.detach().cpu().numpy(), dtype=x.dtype, requires_grad=True)
    y = f(copy)
    y.backward(torch.ones_like(y))
    return copy.grad
