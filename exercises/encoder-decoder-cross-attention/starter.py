import torch
from torch import nn


class EncoderDecoder(nn.Module):
    """A one-layer encoder-decoder Transformer, as in the original translation setup."""

    def __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 32, n_heads: int = 4, max_len: int = 64):
        super().__init__()
        # token embeddings for both vocabularies, position embeddings,
        # one encoder block, one decoder block, a final Linear to tgt_vocab
        raise NotImplementedError("EncoderDecoder.__init__ is not written yet.")

    def encode(self, src: torch.Tensor, src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src: (B, S) token ids -> memory (B, S, d_model). Mask: (B, S) bool, True = padding."""
        raise NotImplementedError("encode is not written yet.")

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor,
               src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """tgt: (B, T) token ids, memory: (B, S, d_model) -> logits (B, T, tgt_vocab)."""
        # masked self-attention over tgt, then cross-attention: queries from tgt, keys/values from memory
        raise NotImplementedError("decode is not written yet.")

    def forward(self, src: torch.Tensor, tgt: torch.Tensor,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(tgt, self.encode(src, src_key_padding_mask), src_key_padding_mask)
