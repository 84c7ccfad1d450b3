"""Compare five ways of cutting text into tokens on the same text."""
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def row(name: str, vocab_size: int, num_tokens: int, unknown: int, eval_text: str) -> dict:
    """One row of the comparison (given)."""
    return {"name": name, "vocab_size": vocab_size, "num_tokens": num_tokens,
            "tokens_per_char": num_tokens / len(eval_text),
            "unk_rate": unknown / num_tokens if num_tokens else 0.0}


def char_row(text: str, eval_text: str) -> dict:
    """Every character is a token; characters never seen in ``text`` are unknown (done for you)."""
    vocab = set(text)
    unknown = sum(ch not in vocab for ch in eval_text)
    return row("char", len(vocab) + 1, len(eval_text), unknown, eval_text)  # + 1 for [UNK]


def word_row(text: str, eval_text: str) -> dict:
    """Every whitespace-separated word is a token; words never seen in ``text`` are unknown."""
    raise NotImplementedError("count words with str.split()")


def bpe_row(text: str, eval_text: str, vocab_size: int) -> dict:
    """Byte-level BPE trained on ``text`` with ``vocab_size`` entries, measured on ``eval_text``."""
    raise NotImplementedError("train a byte-level BPE with the tokenizers library")


def wordpiece_row(text: str, eval_text: str, vocab_size: int = 1000) -> dict:
    """WordPiece trained on ``text``, measured on ``eval_text``; unknown words become [UNK]."""
    raise NotImplementedError("train a WordPiece tokenizer with the tokenizers library")


def unigram_row(text: str, eval_text: str, vocab_size: int = 1000) -> dict:
    """SentencePiece's Unigram model (Metaspace: a space becomes "▁") trained on ``text``, measured on
    ``eval_text``; characters never seen in training become <unk>."""
    raise NotImplementedError("train a Unigram tokenizer with the tokenizers library")


def compare_tokenizers(text: str, eval_text: str | None = None) -> list[dict]:
    """Train on ``text``, measure on ``eval_text`` (default: ``text`` itself); one row per tokenizer,
    in the order char, word, bpe-300, bpe-1000, wordpiece, unigram."""
    eval_text = text if eval_text is None else eval_text
    return [char_row(text, eval_text), word_row(text, eval_text), bpe_row(text, eval_text, 300),
            bpe_row(text, eval_text, 1000), wordpiece_row(text, eval_text), unigram_row(text, eval_text)]
