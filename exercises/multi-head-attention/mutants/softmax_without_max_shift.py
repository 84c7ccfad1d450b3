"""Writes the softmax by hand as exp(s) / sum(exp(s)) without subtracting the row maximum: NaN once the
scores pass ~88 (exp overflows float32).

Caught by: test_large_inputs_stay_finite_and_match_pytorch
"""
import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    """Multi-head attention that matches nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)."""

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    @torch.no_grad()
    def load_from_torch(self, mha: nn.MultiheadAttention) -> None:
        """Copy the weights of a PyTorch nn.MultiheadAttention with the same sizes."""
        # in_proj_weight stacks W_q, W_k, W_v along dim 0: (3C, C) -> three (C, C)
        w_q, w_k, w_v = mha.in_proj_weight.chunk(3, dim=0)
        self.q_proj.weight.copy_(w_q)
        self.k_proj.weight.copy_(w_k)
        self.v_proj.weight.copy_(w_v)
        if mha.in_proj_bias is not None:
            b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)
            self.q_proj.bias.copy_(b_q)
            self.k_proj.bias.copy_(b_k)
            self.v_proj.bias.copy_(b_v)
        self.out_proj.weight.copy_(mha.out_proj.weight)
        if mha.out_proj.bias is not None:
            self.out_proj.bias.copy_(mha.out_proj.bias)

    def _split_heads(self, t: torch.Tensor) -> torch.Tensor:
        B, T, _ = t.shape
        return t.view(B, T, self.num_heads, self.head_dim).transpose(1, 2)  # (B, H, T, hd)

    def forward(
        self,
        query: torch.Tensor,                           # (B, T_q, C)
        key: torch.Tensor,                             # (B, T_k, C)
        value: torch.Tensor,                           # (B, T_k, C)
        key_padding_mask: torch.Tensor | None = None,  # bool (B, T_k), True = padding (ignore)
        attn_mask: torch.Tensor | None = None,         # bool (T_q, T_k), True = not allowed
    ) -> tuple[torch.Tensor, torch.Tensor]:
        B, T_q, C = query.shape
        q = self._split_heads(self.q_proj(query))    # (B, H, T_q, hd)
        k = self._split_heads(self.k_proj(key))      # (B, H, T_k, hd)
        v = self._split_heads(self.v_proj(value))    # (B, H, T_k, hd)

        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)  # (B, H, T_q, T_k)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask.bool(), float("-inf"))               # (T_q, T_k) broadcasts
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask.bool()[:, None, None, :], float("-inf"))  # (B, 1, 1, T_k)
        weights = scores.exp() / scores.exp().sum(dim=-1, keepdim=True)      # (B, H, T_q, T_k)

        out = (weights @ v).transpose(1, 2).reshape(B, T_q, C)  # heads side by side again: (B, T_q, C)
        return self.out_proj(out), weights.mean(dim=1)          # (B, T_q, C), (B, T_q, T_k)
