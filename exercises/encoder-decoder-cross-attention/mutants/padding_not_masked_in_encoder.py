"""Hides the padding in the cross-attention but not in the encoder's self-attention: real source tokens
attend to padded ones.

Caught by: test_padded_source_positions_are_ignored, test_padded_sequence_matches_the_same_sequence_alone
"""
import torch
from torch import nn


class FeedForward(nn.Module):
    def __init__(self, d_model: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class EncoderBlock(nn.Module):
    """Pre-norm block with bidirectional self-attention (padding keys hidden)."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.ff = FeedForward(d_model)

    def forward(self, x, pad_mask=None):                      # x: (B, S, C), pad_mask: (B, S) True = padding
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ff(self.ln2(x))


class DecoderBlock(nn.Module):
    """Pre-norm block: masked self-attention, then cross-attention over the encoder output, then MLP."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.self_attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.ff = FeedForward(d_model)

    def forward(self, y, memory, src_pad_mask=None):          # y: (B, T, C), memory: (B, S, C)
        T = y.shape[1]
        future = torch.ones(T, T, dtype=torch.bool, device=y.device).triu(1)  # True = masked (PyTorch convention)
        h = self.ln1(y)
        y = y + self.self_attn(h, h, h, attn_mask=future, need_weights=False)[0]
        h = self.ln2(y)                                        # queries from the decoder ...
        y = y + self.cross_attn(h, memory, memory, key_padding_mask=src_pad_mask, need_weights=False)[0]  # ... keys/values from the encoder
        return y + self.ff(self.ln3(y))


class EncoderDecoder(nn.Module):
    """A one-layer encoder-decoder Transformer, as in the original translation setup."""

    def __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 32, n_heads: int = 4, max_len: int = 64):
        super().__init__()
        self.src_tok = nn.Embedding(src_vocab, d_model)
        self.tgt_tok = nn.Embedding(tgt_vocab, d_model)
        self.pos = nn.Embedding(max_len, d_model)             # learned positions, shared by both sides
        self.encoder = EncoderBlock(d_model, n_heads)
        self.enc_ln = nn.LayerNorm(d_model)
        self.decoder = DecoderBlock(d_model, n_heads)
        self.dec_ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, tgt_vocab)

    def encode(self, src: torch.Tensor, src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        S = src.shape[1]
        x = self.src_tok(src) + self.pos(torch.arange(S, device=src.device))   # (B, S, C)
        return self.enc_ln(self.encoder(x, src_key_padding_mask))            # (B, S, C)

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor,
               src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        T = tgt.shape[1]
        y = self.tgt_tok(tgt) + self.pos(torch.arange(T, device=tgt.device))   # (B, T, C)
        y = self.decoder(y, memory, src_key_padding_mask)
        return self.head(self.dec_ln(y))                                     # (B, T, tgt_vocab)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        memory = self.encode(src, src_key_padding_mask)
        return self.decode(tgt, memory, src_key_padding_mask)
