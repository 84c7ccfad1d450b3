"""Breaks the rule: computes the weights by hand (for the second output) but the attention output
with F.scaled_dot_product_attention.

Caught by: test_does_not_use_pytorch_attention
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


class MultiHeadAttention(nn.Module):
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

    def _split_heads(self, t):
        B, T, _ = t.shape
        return t.view(B, T, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        B, T_q, C = query.shape
        q = self._split_heads(self.q_proj(query))
        k = self._split_heads(self.k_proj(key))
        v = self._split_heads(self.v_proj(value))
        blocked = torch.zeros(B, 1, T_q, k.shape[-2], dtype=torch.bool, device=q.device)
        if attn_mask is not None:
            blocked = blocked | attn_mask.bool()
        if key_padding_mask is not None:
            blocked = blocked | key_padding_mask.bool()[:, None, None, :]
        scores = (q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)).masked_fill(blocked, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=~blocked)
        return self.out_proj(out.transpose(1, 2).reshape(B, T_q, C)), weights.mean(dim=1)
