"""derivative multiplies by 0.5 / h; autograd_derivative uses torch.func.vmap(torch.func.grad(f)) over the flattened points.
"""
import torch
from torch.func import grad, vmap


def derivative(f, x, h=1e-4):
    return (f(x + h) - f(x - h)) * (0.5 / h)


def autograd_derivative(f, x):
    flat = x.detach().reshape(-1)
    return vmap(grad(lambda t: f(t)))(flat).reshape(x.shape)
