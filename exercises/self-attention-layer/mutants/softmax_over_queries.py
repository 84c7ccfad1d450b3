"""Normalises over the queries (dim=-2) instead of over the keys.

Caught by: test_matches_a_reference_with_the_same_weights
"""
import math

import torch
from torch import nn


class SelfAttention(nn.Module):
    """Single-head self-attention: every position attends over the same sequence."""

    def __init__(self, embed_dim: int, bias: bool = True):
        super().__init__()
        self.embed_dim = embed_dim
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, x: torch.Tensor, causal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, C = x.shape
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)  # (B, T, C) each
        scores = q @ k.transpose(-2, -1) / math.sqrt(C)          # (B, T, T)
        if causal:
            allowed = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()  # (T, T), j <= i
            scores = scores.masked_fill(~allowed, float("-inf"))  # future keys get weight 0
        weights = torch.softmax(scores, dim=-2)                  # (B, T, T), rows sum to one
        out = self.out_proj(weights @ v)                         # (B, T, C)
        return out, weights
