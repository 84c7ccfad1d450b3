"""Precomputes the causal mask once for a maximum length of 16 in __init__ and slices it: breaks for T = 17.

Caught by: test_one_layer_handles_different_sequence_lengths
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
        self.register_buffer("mask", torch.ones(16, 16, dtype=torch.bool).tril())

    def forward(self, x: torch.Tensor, causal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, C = x.shape
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)  # (B, T, C) each
        scores = q @ k.transpose(-2, -1) / math.sqrt(C)          # (B, T, T)
        if causal:
            allowed = self.mask[:T, :T]  # (T, T), j <= i
            scores = scores.masked_fill(~allowed, float("-inf"))  # future keys get weight 0
        weights = torch.softmax(scores, dim=-1)                  # (B, T, T), rows sum to one
        out = self.out_proj(weights @ v)                         # (B, T, C)
        return out, weights
