import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    """Multi-head attention that matches nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)."""

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        # Check embed_dim % num_heads == 0, then create four nn.Linear(embed_dim, embed_dim, bias=bias):
        # self.q_proj, self.k_proj, self.v_proj, self.out_proj
        raise NotImplementedError("MultiHeadAttention.__init__ is not written yet.")

    def load_from_torch(self, mha: nn.MultiheadAttention) -> None:
        """Copy the weights of a PyTorch nn.MultiheadAttention with the same sizes.

        mha.in_proj_weight (3C, C) holds W_q, W_k, W_v stacked; mha.in_proj_bias (3C,) likewise
        (None when bias=False); mha.out_proj is an nn.Linear(C, C).
        """
        raise NotImplementedError("load_from_torch is not written yet.")

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        """query (B, T_q, C), key and value (B, T_k, C).

        key_padding_mask: bool (B, T_k), True = padding, ignore this key.
        attn_mask: bool (T_q, T_k), True = this pair is NOT allowed.
        Returns (out (B, T_q, C), weights averaged over heads (B, T_q, T_k)).
        """
        # 1. project query, key, value; split C into (num_heads, head_dim): (B, H, T, hd)
        # 2. scores (B, H, T_q, T_k) / sqrt(head_dim); masks -> -inf; softmax over keys
        # 3. weights @ v, merge the heads back to (B, T_q, C), out_proj
        # 4. return the output and the weights averaged over the heads
        raise NotImplementedError("MultiHeadAttention.forward is not written yet: follow steps 1-4.")
