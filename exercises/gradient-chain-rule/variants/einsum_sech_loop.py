"""chain_rule_grad handles a batch with a Python loop over rows, uses sech² = 1/cosh² for tanh' and einsum for Wᵀ dz; gradient uses .backward() on a detached copy.
"""
import torch


def gradient(f, x):
    copy = x.detach().clone()
    copy.requires_grad = True
    out = f(copy)
    if out.numel() > 1:
        raise ValueError("f must return a scalar")
    out.sum().backward()
    return copy.grad


def _one(x, W, b):
    z = torch.einsum("mn,n->m", W, x) + b
    return torch.einsum("m,mn->n", 2 * torch.tanh(z) / torch.cosh(z) ** 2, W)


def chain_rule_grad(x, W, b):
    if x.dim() == 1:
        return _one(x, W, b)
    return torch.stack([_one(row, W, b) for row in x])
