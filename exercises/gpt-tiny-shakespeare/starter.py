"""Train the GPT on tiny Shakespeare: a character-level language model under a time budget.

The model below works (it is the gpt-model exercise, with PyTorch's fused attention); you may
replace it with your own GPT. Your job is `train`, at the bottom.
"""
import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class GPTConfig:
    vocab_size: int = 65     # number of distinct characters
    block_size: int = 64     # longest context (positions)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.n_head = config.n_head
        self.dropout = config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)                          # 3 x (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        # PyTorch's fused attention; is_causal=True hides the future (the mask you wrote in gpt-model).
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)                  # (B, T, C)
        return self.resid_dropout(self.c_proj(y))


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias), nn.GELU(),
            nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias), nn.Dropout(config.dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))   # (B, T, C)
        return x + self.mlp(self.ln_2(x))  # (B, T, C)


class GPT(nn.Module):
    """The model of the gpt-model exercise (you may paste your own instead)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device)           # (T,)
        x = self.drop(self.wte(idx) + self.wpe(pos))        # (B, T, C)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))                 # (B, T, V)
        loss = None
        if targets is not None:  # targets are already the next characters: no shift here
            loss = F.cross_entropy(logits.view(B * T, -1).float(), targets.view(B * T))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.config.block_size:])
            logits = logits[:, -1, :].float() / temperature                   # (B, V)
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
            idx_next = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)  # (B, 1)
            idx = torch.cat([idx, idx_next], dim=1)
        return idx


# ---------------------------------------------------------------- training: your part


def train(model: nn.Module, train_data: torch.Tensor, val_data: torch.Tensor, *, budget_s: float,
          device: str = "cpu", batch_size: int = 32, lr: float = 1e-3, eval_interval: int = 500,
          eval_iters: int = 20) -> dict:
    """Train ``model`` (already on ``device``) on random windows of ``train_data`` for ``budget_s`` seconds.

    Args:
        model: a GPT; its context length is ``model.config.block_size`` (T).
        train_data, val_data: 1-D int64 tensors of character ids, on the CPU.
        budget_s: wall-clock seconds for the whole call, final evaluation included.
        device: "cpu" or "cuda"; move each batch there.
        batch_size: B windows per step; lr: the peak learning rate of AdamW.

    Returns:
        {"val_loss": float, "losses": [training loss of every step, floats], "steps": int}
    """
    # 1. an AdamW optimizer over model.parameters()
    # 2. loop until the time budget is (nearly) spent:
    #      x, y = B random windows of train_data, y shifted by one character     # (B, T), (B, T)
    #      logits, loss = model(x, y); zero_grad, backward, step; record loss.item()
    # 3. val_loss = the mean loss over eval_iters random batches of val_data, in eval mode, without gradients
    raise NotImplementedError("train is not written yet")
