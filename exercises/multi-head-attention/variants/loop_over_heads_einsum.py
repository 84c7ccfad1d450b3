"""Loops over the heads, slicing each head's block of channels, and uses einsum and torch.where with
one combined boolean mask instead of batched (B, H, T, hd) matrix products."""
import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.h = num_heads
        self.d = embed_dim // num_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (
            nn.Linear(embed_dim, embed_dim, bias=bias) for _ in range(4))

    def load_from_torch(self, mha: nn.MultiheadAttention) -> None:
        with torch.no_grad():
            for i, lin in enumerate((self.q_proj, self.k_proj, self.v_proj)):
                C = lin.weight.shape[0]
                lin.weight.copy_(mha.in_proj_weight[i * C:(i + 1) * C])
                if lin.bias is not None:
                    lin.bias.copy_(mha.in_proj_bias[i * C:(i + 1) * C])
            self.out_proj.load_state_dict(mha.out_proj.state_dict())

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        B, T_q, _ = q.shape
        T_k = k.shape[1]
        allowed = torch.ones(B, T_q, T_k, dtype=torch.bool, device=q.device)
        if attn_mask is not None:
            allowed = allowed & ~attn_mask
        if key_padding_mask is not None:
            allowed = allowed & ~key_padding_mask.unsqueeze(1)
        outs, weight_sum = [], 0
        for h in range(self.h):
            sl = slice(h * self.d, (h + 1) * self.d)
            s = torch.einsum("bqd,bkd->bqk", q[..., sl], k[..., sl]) / math.sqrt(self.d)
            s = torch.where(allowed, s, torch.full_like(s, -math.inf))
            w = torch.softmax(s, dim=-1)
            outs.append(torch.einsum("bqk,bkd->bqd", w, v[..., sl]))
            weight_sum = weight_sum + w
        return self.out_proj(torch.cat(outs, dim=-1)), weight_sum / self.h
