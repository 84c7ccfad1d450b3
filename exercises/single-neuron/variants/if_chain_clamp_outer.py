"""Picks the activation with an if/elif chain (relu as clamp(min=0), sigmoid written out stably) and writes dw as local @ x.
"""
import torch


def neuron(x, w, b, activation="sigmoid"):
    z = (x * w).sum(dim=1) + b
    if activation == "sigmoid":
        return torch.sigmoid(z)
    elif activation == "tanh":
        return torch.tanh(z)
    elif activation == "relu":
        return z.clamp(min=0)
    elif activation == "identity":
        return z
    raise ValueError(f"activation must be sigmoid, tanh, relu or identity, not {activation}")


def neuron_grad(x, w, b):
    s = neuron(x, w, b, "sigmoid")
    local = s - s * s
    return local @ x, local.sum()
