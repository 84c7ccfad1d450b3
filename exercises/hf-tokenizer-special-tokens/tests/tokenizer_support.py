"""Shared by the public and hidden tests: training texts, the tokenizer check helpers."""
import torch
from tokenizers import Tokenizer

from course_harness import assert_tensor_close, get_function, is_instance

TRAIN_SIGNATURE = "train_tokenizer(texts: list[str], vocab_size: int) -> Tokenizer"
COLLATE_SIGNATURE = "collate(batch_texts: list[str], tokenizer: Tokenizer, max_len: int) -> dict"
SPECIALS = {"[PAD]": 0, "[BOS]": 1, "[EOS]": 2, "[UNK]": 3}
PAD, BOS, EOS, UNK = 0, 1, 2, 3

# The training texts (original, written for this exercise).
TEXTS = [
    "The lighthouse keeper climbed the stairs every night at dusk.",
    "She counted the steps out loud, one hundred and twelve of them.",
    "At the top, the lamp waited behind thick glass that smelled of oil.",
    "Ships far out at sea watched for the beam as it swept across the water.",
    "On calm nights the keeper wrote letters to a sister who lived in the city.",
    "On stormy nights she wrote nothing and simply listened to the wind.",
    "A cat lived in the lighthouse too, and it slept on the warmest stair.",
    "Nobody knew where the cat had come from or how old it really was.",
    "Every spring a boat brought flour, candles, batteries and a stack of newspapers.",
    "The keeper read the newspapers slowly, one page each evening, to make them last.",
    "Once a year an inspector arrived to check the lamp and sign a form.",
    "He always stayed for tea and always complained about the stairs.",
    "The island had no trees, only grass, rocks and a great many noisy birds.",
    "In summer the birds nested on the cliffs and shouted at anyone who came near.",
    "In winter they left, and the island became so quiet that the sea seemed loud.",
    "The keeper kept a log of the weather, the ships and the number of birds.",
    "Years later the log was found in a drawer and read by students at a university.",
    "They learned that the winters had become warmer and the storms more frequent.",
    "The lighthouse is automatic now, and nobody climbs the stairs at dusk.",
    "But the cat, people say, still sleeps on the warmest stair.",
    "Tokenizers learn their pieces from text like this, one merge at a time.",
    "Frequent pairs of characters are merged first, rare ones much later.",
    "Special tokens mark where a sequence begins, where it ends, and where padding starts.",
    "A model never has to guess what padding means if the mask tells it to ignore it.",
]


def trained(vocab_size=300):
    tok = get_function("train_tokenizer", TRAIN_SIGNATURE)(TEXTS, vocab_size)
    assert is_instance(tok, Tokenizer), (
        f"train_tokenizer should return a tokenizers.Tokenizer, got {type(tok).__name__}.")
    return tok


def plain_ids(tok, text):
    """The tokenizer's own ids for ``text``: no special tokens, no truncation, no padding."""
    fresh = Tokenizer.from_str(tok.to_str())  # a copy, so settings made inside collate do not leak in
    fresh.no_truncation()
    fresh.no_padding()
    return fresh.encode(text, add_special_tokens=False).ids


def expected_batch(tok, texts, max_len):
    """[BOS] ids[:max_len - 2] [EOS], right-padded with [PAD] to the longest row."""
    rows = [[BOS] + plain_ids(tok, t)[: max_len - 2] + [EOS] for t in texts]
    length = max(len(r) for r in rows)
    ids = torch.tensor([r + [PAD] * (length - len(r)) for r in rows], dtype=torch.long)
    mask = torch.tensor([[1] * len(r) + [0] * (length - len(r)) for r in rows], dtype=torch.long)
    return ids, mask


def check_batch(tok, texts, max_len):
    out = get_function("collate", COLLATE_SIGNATURE)(texts, tok, max_len)
    assert isinstance(out, dict) and {"input_ids", "attention_mask"} <= set(out), (
        "collate should return a dict with 'input_ids' and 'attention_mask' tensors.")
    ids, mask = expected_batch(tok, texts, max_len)
    got = out["input_ids"]
    if isinstance(got, torch.Tensor) and got.dim() == 2 and got.shape[0] == ids.shape[0]:
        if got.shape[1] == max_len and ids.shape[1] < max_len:
            raise AssertionError(f"input_ids has {max_len} columns (max_len), but the longest row of this batch "
                                 f"needs only {ids.shape[1]}: pad to the longest row, not to max_len.")
        for i, row in enumerate(got.tolist()):
            real = [t for t in row if t != PAD]
            if real and real[0] != BOS:
                raise AssertionError(f"row {i} starts with id {real[0]}, expected [BOS] (id 1).")
            if real and real[-1] != EOS:
                raise AssertionError(f"row {i}'s last real token is id {real[-1]}, expected [EOS] (id 2): add [EOS] "
                                     "after truncating the content (ids[:max_len - 2]), so it is never cut off.")
    assert_tensor_close(got, ids, atol=0, rtol=0,
                        name=f"input_ids for {len(texts)} texts with max_len={max_len}")
    assert_tensor_close(out["attention_mask"], mask, atol=0, rtol=0,
                        name=f"attention_mask for {len(texts)} texts with max_len={max_len}")
    return out
