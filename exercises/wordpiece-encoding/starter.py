import string
import unicodedata


def pre_tokenize(text: str) -> list[str]:
    """BERT's basic split: on whitespace, and every punctuation character on its own."""
    # A first step: this splits on whitespace but leaves punctuation glued to words.
    return text.split()


def wordpiece_encode(word: str, vocab, unk: str = "[UNK]", max_chars: int = 100) -> list[str]:
    """One word -> its pieces, e.g. "playing" -> ["play", "##ing"]; [unk] if it cannot be split."""
    raise NotImplementedError("greedy longest-match-first, with '##' on every piece after the first")


def encode_text(text: str, vocab, lowercase: bool = False, unk: str = "[UNK]") -> list[str]:
    """Lowercase (optional), pre_tokenize, then wordpiece_encode every word; the pieces in order."""
    raise NotImplementedError


def add_special_tokens(tokens_a: list[str], tokens_b: list[str] | None = None) -> tuple[list[str], list[int]]:
    """[CLS] a [SEP] (and b [SEP] for a pair) plus the token type ids (0 for a's part, 1 for b's)."""
    raise NotImplementedError


def tokens_to_ids(tokens: list[str], vocab: dict[str, int], unk: str = "[UNK]") -> list[int]:
    """Look every token up; tokens missing from vocab get the id of unk."""
    raise NotImplementedError


def pad_batch(batch: list[list[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    """Right-pad every row to the longest row; also return the attention mask (1 = real, 0 = pad)."""
    raise NotImplementedError
