"""The library does the work: a TemplateProcessing post-processor adds [BOS]/[EOS], and
enable_truncation / enable_padding (on a copy of the tokenizer, so nothing leaks into the next
call) truncate and pad; the attention mask comes from the encodings."""
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

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
    tok = Tokenizer.from_str(tokenizer.to_str())
    tok.post_processor = processors.TemplateProcessing(
        single="[BOS] $A [EOS]", special_tokens=[("[BOS]", BOS_ID), ("[EOS]", EOS_ID)])
    tok.enable_truncation(max_length=max_len)  # keeps room for the template's two special tokens
    tok.enable_padding(pad_id=PAD_ID, pad_token="[PAD]", direction="right")  # to the longest row
    encodings = tok.encode_batch(batch_texts)
    return {"input_ids": torch.tensor([e.ids for e in encodings], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)}
