"""A different valid architecture: hand-written multi-head attention on F.scaled_dot_product_attention
(boolean masks with True = may attend), post-norm blocks with ReLU, and fixed sinusoidal positions
instead of learned ones."""
import math

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.q, self.kv, self.o = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)

    def forward(self, x, mem, allowed=None):
        B, T, C = x.shape
        q = self.q(x).view(B, T, self.h, -1).transpose(1, 2)
        k, v = (t.view(B, mem.shape[1], self.h, -1).transpose(1, 2) for t in self.kv(mem).chunk(2, dim=-1))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.o(out.transpose(1, 2).reshape(B, T, C))


def mlp(d):
    return nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))


def keep(pad):  # (B, S) True = padding  ->  (B, 1, 1, S) True = may attend
    return None if pad is None else ~pad[:, None, None, :]


class EncoderDecoder(nn.Module):
    def __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 32, n_heads: int = 4, max_len: int = 64):
        super().__init__()
        self.src_tok, self.tgt_tok = nn.Embedding(src_vocab, d_model), nn.Embedding(tgt_vocab, d_model)
        pos = torch.arange(max_len)[:, None] * torch.exp(torch.arange(0, d_model, 2) * (-math.log(1e4) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos), torch.cos(pos)
        self.register_buffer("pe", pe)
        self.enc_attn, self.enc_mlp = Attention(d_model, n_heads), mlp(d_model)
        self.enc_n1, self.enc_n2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dec_self, self.dec_cross, self.dec_mlp = Attention(d_model, n_heads), Attention(d_model, n_heads), mlp(d_model)
        self.dec_n = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(3))
        self.out = nn.Linear(d_model, tgt_vocab)

    def encode(self, src, src_key_padding_mask=None):
        x = self.src_tok(src) * math.sqrt(self.pe.shape[1]) + self.pe[:src.shape[1]]
        x = self.enc_n1(x + self.enc_attn(x, x, keep(src_key_padding_mask)))
        return self.enc_n2(x + self.enc_mlp(x))

    def decode(self, tgt, memory, src_key_padding_mask=None):
        T = tgt.shape[1]
        y = self.tgt_tok(tgt) * math.sqrt(self.pe.shape[1]) + self.pe[:T]
        causal = torch.ones(T, T, dtype=torch.bool, device=tgt.device).tril()
        y = self.dec_n[0](y + self.dec_self(y, y, causal))
        y = self.dec_n[1](y + self.dec_cross(y, memory, keep(src_key_padding_mask)))
        y = self.dec_n[2](y + self.dec_mlp(y))
        return self.out(y)

    def forward(self, src, tgt, src_key_padding_mask=None):
        return self.decode(tgt, self.encode(src, src_key_padding_mask), src_key_padding_mask)
