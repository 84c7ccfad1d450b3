"""`if tokens_b:` instead of `if tokens_b is not None:` — an empty second sentence is treated
as no second sentence, so the pair loses its closing [SEP].

Caught by: test_special_tokens_and_ids_match_bert_processing
"""
import string
import unicodedata


def _is_punctuation(ch: str) -> bool:
    """ASCII punctuation ($, +, ^, ... included) or any Unicode punctuation category (P*)."""
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


def pre_tokenize(text: str) -> list[str]:
    """BERT's basic split: on whitespace, and every punctuation character on its own."""
    pieces: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch.isspace() or _is_punctuation(ch):
            if current:                  # close the word we were building
                pieces.append("".join(current))
                current = []
            if not ch.isspace():         # punctuation is kept, whitespace is dropped
                pieces.append(ch)
        else:
            current.append(ch)
    if current:
        pieces.append("".join(current))
    return pieces


def wordpiece_encode(word: str, vocab, unk: str = "[UNK]", max_chars: int = 100) -> list[str]:
    """One word -> its pieces, e.g. "playing" -> ["play", "##ing"]; [unk] if it cannot be split."""
    if len(word) > max_chars:
        return [unk]
    pieces: list[str] = []
    start = 0
    while start < len(word):
        # Try the longest remaining prefix first, then shorter ones.
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:  # no prefix of the rest is known: the whole word is unknown
            return [unk]
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
    if tokens_b:
        tokens += [*tokens_b, "[SEP]"]
        type_ids += [1] * (len(tokens_b) + 1)
    return tokens, type_ids


def tokens_to_ids(tokens: list[str], vocab: dict[str, int], unk: str = "[UNK]") -> list[int]:
    """Look every token up; tokens missing from vocab get the id of unk."""
    unk_id = vocab[unk]
    return [vocab.get(token, unk_id) for token in tokens]


def pad_batch(batch: list[list[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    """Right-pad every row to the longest row; also return the attention mask (1 = real, 0 = pad)."""
    longest = max((len(row) for row in batch), default=0)
    ids = [list(row) + [pad_id] * (longest - len(row)) for row in batch]
    mask = [[1] * len(row) + [0] * (longest - len(row)) for row in batch]
    return ids, mask
