"""Breaks the rule: keeps the four projections but hands the work to F.multi_head_attention_forward with
one head (the numbers are right).

Caught by: test_does_not_use_pytorch_multi_head_attention
"""
import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim: int, bias: bool = True):
        super().__init__()
        self.embed_dim = embed_dim
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, x, causal=False):
        T = x.shape[1]
        xt = x.transpose(0, 1)  # (T, B, C)
        in_bias = (torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias])
                   if self.q_proj.bias is not None else None)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1) if causal else None
        out, weights = F.multi_head_attention_forward(
            xt, xt, xt, self.embed_dim, 1, None, in_bias, None, None, False, 0.0,
            self.out_proj.weight, self.out_proj.bias, training=False, need_weights=True, attn_mask=mask,
            use_separate_proj_weight=True, q_proj_weight=self.q_proj.weight,
            k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight)
        return out.transpose(0, 1), weights
