"""A BPE tokenizer with special tokens, and a collate function that batches text for a model."""
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

SPECIAL_TOKENS = ["[PAD]", "[BOS]", "[EOS]", "[UNK]"]  # must get ids 0, 1, 2, 3
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3


def train_tokenizer(texts: list[str], vocab_size: int) -> Tokenizer:
    """Train a character-level BPE on ``texts``: at most ``vocab_size`` entries, special tokens at ids 0..3,
    unseen characters encoded as [UNK], and a decoder that gives the original text back."""
    raise NotImplementedError("build a Tokenizer(models.BPE(...)), set its pre-tokenizer and decoder, train it")


def collate(batch_texts: list[str], tokenizer: Tokenizer, max_len: int) -> dict[str, torch.Tensor]:
    """Encode a batch for a model.

    Each row is [BOS] tokens [EOS], at most ``max_len`` long (drop content tokens, never [EOS]),
    right-padded with [PAD] to the longest row of the batch.

    Returns {"input_ids": (B, L) long, "attention_mask": (B, L) long, 1 on real tokens, 0 on padding}.
    """
    raise NotImplementedError("encode without special tokens, add BOS/EOS, truncate, pad, build the mask")
