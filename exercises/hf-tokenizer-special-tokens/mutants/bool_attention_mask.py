"""The attention mask is built as input_ids != [PAD], a bool tensor, not torch.long.

Caught by: test_collate_adds_bos_and_eos_and_pads_on_the_right
"""
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

SPECIAL_TOKENS = ["[PAD]", "[BOS]", "[EOS]", "[UNK]"]  # ids 0, 1, 2, 3
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3


def train_tokenizer(texts: list[str], vocab_size: int) -> Tokenizer:
    """Train a character-level BPE on ``texts`` with the four special tokens at ids 0..3."""
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))  # unseen characters -> [UNK]
    # Metaspace turns spaces into "▁" that stay inside the tokens (as in SentencePiece),
    # so the matching decoder can put the spaces back exactly.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    # Special tokens are added to the vocabulary first, in this order: ids 0, 1, 2, 3.
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def collate(batch_texts: list[str], tokenizer: Tokenizer, max_len: int) -> dict[str, torch.Tensor]:
    """Encode a batch as [BOS] tokens [EOS], truncated to ``max_len`` (EOS kept), right-padded with [PAD]."""
    if max_len < 2:
        raise ValueError(f"max_len must leave room for [BOS] and [EOS], got {max_len}")
    rows = []
    for text in batch_texts:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        rows.append([BOS_ID] + ids[: max_len - 2] + [EOS_ID])  # truncate the content, never EOS
    length = max(len(r) for r in rows)  # pad to the longest row of this batch
    input_ids = torch.full((len(rows), length), PAD_ID, dtype=torch.long)  # (B, L)
    attention_mask = torch.zeros((len(rows), length), dtype=torch.long)    # (B, L)
    for i, r in enumerate(rows):
        input_ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        attention_mask[i, : len(r)] = 1
    return {"input_ids": input_ids, "attention_mask": input_ids != PAD_ID}
