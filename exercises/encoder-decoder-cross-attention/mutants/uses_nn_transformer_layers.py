"""Breaks the rule: builds the blocks from nn.TransformerEncoderLayer and nn.TransformerDecoderLayer
(the behaviour is right).

Caught by: test_does_not_use_ready_made_transformer_layers
"""
import torch
from torch import nn


class EncoderDecoder(nn.Module):
    def __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 32, n_heads: int = 4, max_len: int = 64):
        super().__init__()
        self.src_tok = nn.Embedding(src_vocab, d_model)
        self.tgt_tok = nn.Embedding(tgt_vocab, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        self.encoder = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, dropout=0.0,
                                                  batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoderLayer(d_model, n_heads, 4 * d_model, dropout=0.0,
                                                  batch_first=True, norm_first=True)
        self.enc_ln = nn.LayerNorm(d_model)
        self.dec_ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, tgt_vocab)

    def encode(self, src, src_key_padding_mask=None):
        x = self.src_tok(src) + self.pos(torch.arange(src.shape[1], device=src.device))
        return self.enc_ln(self.encoder(x, src_key_padding_mask=src_key_padding_mask))

    def decode(self, tgt, memory, src_key_padding_mask=None):
        T = tgt.shape[1]
        y = self.tgt_tok(tgt) + self.pos(torch.arange(T, device=tgt.device))
        future = torch.ones(T, T, dtype=torch.bool, device=tgt.device).triu(1)
        y = self.decoder(y, memory, tgt_mask=future, memory_key_padding_mask=src_key_padding_mask)
        return self.head(self.dec_ln(y))

    def forward(self, src, tgt, src_key_padding_mask=None):
        return self.decode(tgt, self.encode(src, src_key_padding_mask), src_key_padding_mask)
