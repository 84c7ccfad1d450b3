"""A small decoder-only transformer (GPT). Fill in every NotImplementedError."""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class GPTConfig:
    vocab_size: int = 65     # number of distinct tokens (65 characters in tiny Shakespeare)
    block_size: int = 64     # longest context the model sees (number of positions)
    n_layer: int = 4         # transformer blocks
    n_head: int = 4          # attention heads per block; n_embd must be divisible by it
    n_embd: int = 128        # width C of the residual stream
    dropout: float = 0.0     # dropout probability while training
    bias: bool = True        # biases in Linear layers and LayerNorms


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t only looks at positions <= t."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        # c_attn: Linear(C, 3C) for q, k, v; c_proj: Linear(C, C); two Dropouts; a causal mask buffer.
        raise NotImplementedError("CausalSelfAttention.__init__ is not written yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C) -> (B, T, C)."""
        raise NotImplementedError("CausalSelfAttention.forward is not written yet")


class MLP(nn.Module):
    """Position-wise feed-forward network: C -> 4C -> GELU -> C, then dropout."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        raise NotImplementedError("MLP.__init__ is not written yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C) -> (B, T, C)."""
        raise NotImplementedError("MLP.forward is not written yet")


class Block(nn.Module):
    """Pre-norm block: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        raise NotImplementedError("Block.__init__ is not written yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Block.forward is not written yet")


class GPT(nn.Module):
    """Token + position embeddings, n_layer blocks, a final LayerNorm and a tied output layer."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        raise NotImplementedError("GPT.__init__ is not written yet")

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx: (B, T) int64 -> (logits (B, T, V), loss or None)."""
        raise NotImplementedError("GPT.forward is not written yet")

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """idx: (B, T0) -> (B, T0 + max_new_tokens), sampling one token at a time."""
        raise NotImplementedError("GPT.generate is not written yet")
