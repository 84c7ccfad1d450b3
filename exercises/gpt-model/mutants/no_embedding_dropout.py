"""No dropout after the embeddings: x = wte(idx) + wpe(pos) goes into the blocks undropped.

Caught by: test_dropout_acts_after_the_embeddings_and_in_both_sublayers
"""
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
        assert config.n_embd % config.n_head == 0, "n_embd must be divisible by n_head"
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v at once
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        # True where attention is allowed: the lower triangle (key position <= query position).
        mask = torch.tril(torch.ones(config.block_size, config.block_size, dtype=torch.bool))
        self.register_buffer("mask", mask, persistent=False)  # (block_size, block_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)                # 3 x (B, T, C)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)       # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)       # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)       # (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)         # (B, nh, T, T)
        att = att.masked_fill(~self.mask[:T, :T], float("-inf"))  # hide the future
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = att @ v                                             # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)        # (B, T, C): heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Position-wise feed-forward network: C -> 4C -> GELU -> C."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))  # (B, T, C)


class Block(nn.Module):
    """Pre-norm transformer block: attention, then MLP, each added to the residual stream."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))  # (B, T, C)
        x = x + self.mlp(self.ln_2(x))   # (B, T, C)
        return x


class GPT(nn.Module):
    """Token + position embeddings, n_layer blocks, a final LayerNorm and a tied output layer."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)  # token embeddings (V, C)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)  # position embeddings (T, C)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: the output layer reuses the token embedding matrix (one parameter, not two).
        self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)
        # GPT-2: scale the init of the layers that write into the residual stream by 1/sqrt(2 * n_layer).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        assert T <= self.config.block_size, f"sequence of length {T} is longer than block_size"
        pos = torch.arange(T, device=idx.device)             # (T,)
        x = self.wte(idx) + self.wpe(pos)          # (B, T, C) + (T, C) broadcasts
        for block in self.blocks:
            x = block(x)                                      # (B, T, C)
        logits = self.lm_head(self.ln_f(x))                   # (B, T, V)
        loss = None
        if targets is not None:
            # targets[b, t] is already the token that follows idx[b, t]: no shifting here.
            loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        for _ in range(max_new_tokens):
            idx_cond = idx[:, -self.config.block_size:]      # (B, <= block_size): crop the context
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature          # (B, V): only the last position predicts
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))  # (B, k), sorted
                logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
            probs = F.softmax(logits, dim=-1)                 # (B, V)
            idx_next = torch.multinomial(probs, num_samples=1, generator=generator)  # (B, 1)
            idx = torch.cat([idx, idx_next], dim=1)           # (B, T + 1)
        return idx
