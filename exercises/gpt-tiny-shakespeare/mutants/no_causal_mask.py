"""Attention without the causal mask (is_causal=False): every position sees the characters after it, so the
training loss drops suspiciously low without learning anything.

Caught by: test_the_model_is_causal_and_its_loss_uses_the_targets_as_given, test_the_model_is_causal
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
        y = F.scaled_dot_product_attention(q, k, v, is_causal=False,
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


# ---------------------------------------------------------------- training


def get_batch(data: torch.Tensor, block_size: int, batch_size: int, device: str,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """batch_size random windows of data: inputs x and the next characters y, both (B, T)."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)  # (B,) start positions
    offsets = torch.arange(block_size)                                               # (T,)
    x = data[ix[:, None] + offsets]        # (B, T)
    y = data[ix[:, None] + offsets + 1]    # (B, T): y[b, t] is the character after x[b, t]
    return x.to(device), y.to(device)


@torch.no_grad()
def estimate_loss(model: nn.Module, data: torch.Tensor, batch_size: int, eval_iters: int, device: str,
                  seed: int = 1234) -> float:
    """Mean loss over eval_iters random batches, in eval mode (dropout off) and without gradients."""
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed)  # the same batches every time: comparable numbers
    total = 0.0
    for _ in range(eval_iters):
        x, y = get_batch(data, model.config.block_size, batch_size, device, g)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            _, loss = model(x, y)
        total += loss.item()
    model.train(was_training)
    return total / eval_iters


def train(model: nn.Module, train_data: torch.Tensor, val_data: torch.Tensor, *, budget_s: float,
          device: str = "cpu", batch_size: int = 32, lr: float = 1e-3, eval_interval: int = 500,
          eval_iters: int = 20, warmup_steps: int = 100, weight_decay: float = 0.1, seed: int = 1337) -> dict:
    """Train ``model`` (already on ``device``) on random windows of ``train_data`` for ``budget_s`` seconds.

    Returns {"val_loss": float, "losses": [one float per step], "steps": int, "val_history": [(step, loss)]}.
    """
    start = time.perf_counter()
    block_size = model.config.block_size
    g = torch.Generator().manual_seed(seed)
    # Weight decay on matrices only; biases, LayerNorm gains are left alone (as in nanoGPT).
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99))
    use_bf16 = device.startswith("cuda")
    min_lr = lr / 10
    losses: list[float] = []
    val_history: list[tuple[int, float]] = []
    step, step_time = 0, 0.0
    model.train()
    while True:
        elapsed = time.perf_counter() - start
        # Stop early enough to leave room for the final evaluation (about eval_iters forward passes).
        if elapsed + eval_iters * step_time * 0.5 + step_time >= budget_s:
            break
        # Learning rate: linear warmup, then a cosine decay over the time budget down to lr / 10.
        if step < warmup_steps:
            step_lr = lr * (step + 1) / warmup_steps
        else:
            frac = min(1.0, elapsed / budget_s)
            step_lr = min_lr + 0.5 * (1.0 + math.cos(math.pi * frac)) * (lr - min_lr)
        for group in optimizer.param_groups:
            group["lr"] = step_lr

        t0 = time.perf_counter()
        x, y = get_batch(train_data, block_size, batch_size, device, g)  # (B, T), (B, T)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16):
            _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        step += 1
        step_time = 0.9 * step_time + 0.1 * (time.perf_counter() - t0) if step > 1 else time.perf_counter() - t0
        if step % eval_interval == 0:
            val_history.append((step, estimate_loss(model, val_data, batch_size, eval_iters, device)))
            model.train()

    val_loss = estimate_loss(model, val_data, batch_size, eval_iters, device)
    val_history.append((step, val_loss))
    model.eval()
    return {"val_loss": val_loss, "losses": losses, "steps": step, "val_history": val_history}
