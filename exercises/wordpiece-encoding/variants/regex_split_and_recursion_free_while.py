"""pre_tokenize with a regular expression built from the punctuation test, WordPiece with an
explicit shrinking `end` pointer, padding with itertools.zip_longest."""
import string
import unicodedata


def _is_punctuation(ch: str) -> bool:
    """ASCII punctuation ($, +, ^, ... included) or any Unicode punctuation category (P*)."""
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


def pre_tokenize(text: str) -> list[str]:
    """BERT's basic split: on whitespace, and every punctuation character on its own."""
    import re

    marked = "".join(f"\x00{ch}\x00" if _is_punctuation(ch) else (" " if ch.isspace() else ch) for ch in text)
    return [p for chunk in marked.split(" ") for p in re.split("\x00+", chunk) if p]


def wordpiece_encode(word: str, vocab, unk: str = "[UNK]", max_chars: int = 100) -> list[str]:
    """One word -> its pieces, e.g. "playing" -> ["play", "##ing"]; [unk] if it cannot be split."""
    if len(word) > max_chars:
        return [unk]
    pieces: list[str] = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start and (word[start:end] if start == 0 else "##" + word[start:end]) not in vocab:
            end -= 1
        if end == start:
            return [unk]
        pieces.append(word[start:end] if start == 0 else "##" + word[start:end])
        start = end
    return pieces


def encode_text(text: str, vocab, lowercase: bool = False, unk: str = "[UNK]") -> list[str]:
    """Lowercase (optional), pre_tokenize, then wordpiece_encode every word; the pieces in order."""
    if lowercase:
        text = text.lower()
    return [piece for word in pre_tokenize(text) for piece in wordpiece_encode(word, vocab, unk)]


def add_special_tokens(tokens_a: list[str], tokens_b: list[str] | None = None) -> tuple[list[str], list[int]]:
    """[CLS] a [SEP] (and b [SEP] for a pair) plus the token type ids (0 for a's part, 1 for b's)."""
    tokens = ["[CLS]", *tokens_a, "[SEP]"]
    type_ids = [0] * len(tokens)
    if tokens_b is not None:
        tokens += [*tokens_b, "[SEP]"]
        type_ids += [1] * (len(tokens_b) + 1)
    return tokens, type_ids


def tokens_to_ids(tokens: list[str], vocab: dict[str, int], unk: str = "[UNK]") -> list[int]:
    """Look every token up; tokens missing from vocab get the id of unk."""
    unk_id = vocab[unk]
    return [vocab.get(token, unk_id) for token in tokens]


def pad_batch(batch: list[list[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    """Right-pad every row to the longest row; also return the attention mask (1 = real, 0 = pad)."""
    from itertools import zip_longest

    columns = list(zip_longest(*batch, fillvalue=None))
    ids = [[pad_id if c[r] is None else c[r] for c in columns] for r in range(len(batch))]
    mask = [[0 if c[r] is None else 1 for c in columns] for r in range(len(batch))]
    return ids, mask
