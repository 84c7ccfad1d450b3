"""Breaks the rule: keeps an nn.MultiheadAttention inside and calls it (the numbers are right).

Caught by: test_does_not_use_pytorch_attention
"""
import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.inner = nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True)

    @torch.no_grad()
    def load_from_torch(self, mha: nn.MultiheadAttention) -> None:
        self.inner.load_state_dict(mha.state_dict())

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        return self.inner(query, key, value, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                          need_weights=True, average_attn_weights=True)
