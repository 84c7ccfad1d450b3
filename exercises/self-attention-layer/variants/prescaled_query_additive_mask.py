"""Scales q before the product, uses einsum, and adds a float mask (-inf above the diagonal, built with
triu) instead of masked_fill."""
import math

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim: int, bias: bool = True):
        super().__init__()
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, x, causal=False):
        T, C = x.shape[-2:]
        q = self.q_proj(x) * C ** -0.5
        scores = torch.einsum("btc,bsc->bts", q, self.k_proj(x))
        if causal:
            scores = scores + torch.full((T, T), -math.inf, dtype=x.dtype, device=x.device).triu(1)
        weights = scores.softmax(-1)
        return self.out_proj(torch.einsum("bts,bsc->btc", weights, self.v_proj(x))), weights
