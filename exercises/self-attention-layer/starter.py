import math

import torch
from torch import nn


class SelfAttention(nn.Module):
    """Single-head self-attention: every position attends over the same sequence."""

    def __init__(self, embed_dim: int, bias: bool = True):
        super().__init__()
        # Four nn.Linear(embed_dim, embed_dim, bias=bias) layers with these names:
        # self.q_proj, self.k_proj, self.v_proj, self.out_proj
        raise NotImplementedError("SelfAttention.__init__ is not written yet: create the four projections.")

    def forward(self, x: torch.Tensor, causal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, C). Returns (out, weights) with shapes (B, T, C) and (B, T, T)."""
        # 1. q, k, v = projections of x                      (B, T, C) each
        # 2. scores = q kᵀ / sqrt(C); causal -> -inf above the diagonal   (B, T, T)
        # 3. weights = softmax over the keys (last dim)
        # 4. out = out_proj(weights @ v)
        raise NotImplementedError("SelfAttention.forward is not written yet: follow steps 1-4.")
