"""Char and word rows with collections.Counter; the BPE rows with the library's
ByteLevelBPETokenizer wrapper (the same model, pre-tokenizer and full byte alphabet); the Unigram
row with its SentencePieceUnigramTokenizer wrapper, less the normalizer the wrapper adds."""
from tokenizers import Tokenizer, models, pre_tokenizers, trainers


def char_row(text: str, eval_text: str) -> dict:
    """Every character is a token; characters never seen in ``text`` are unknown."""
    from collections import Counter

    seen, measured = Counter(text), Counter(eval_text)
    unknown = sum(n for ch, n in measured.items() if ch not in seen)
    return row("char", len(seen) + 1, sum(measured.values()), unknown, eval_text)


def word_row(text: str, eval_text: str) -> dict:
    """Every whitespace-separated word is a token; words never seen in ``text`` are unknown."""
    vocab = set(text.split())
    words = eval_text.split()
    unknown = sum(w not in vocab for w in words)
    return row("word", len(vocab) + 1, len(words), unknown, eval_text)


def bpe_row(text: str, eval_text: str, vocab_size: int) -> dict:
    """Byte-level BPE (GPT-2 style): all 256 bytes are in the alphabet, so nothing is unknown."""
    from tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer(add_prefix_space=False)
    tok.train_from_iterator([text], vocab_size=vocab_size, min_frequency=0, show_progress=False, special_tokens=[])
    ids = tok.encode(eval_text).ids
    return row(f"bpe-{vocab_size}", tok.get_vocab_size(), len(ids), 0, eval_text)


def wordpiece_row(text: str, eval_text: str, vocab_size: int = 1000) -> dict:
    """WordPiece (BERT style): a word it cannot spell from its pieces becomes one [UNK]."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"], show_progress=False)
    tok.train_from_iterator([text], trainer=trainer)
    ids = tok.encode(eval_text).ids
    unk = tok.token_to_id("[UNK]")
    return row("wordpiece", tok.get_vocab_size(), len(ids), ids.count(unk), eval_text)


def unigram_row(text: str, eval_text: str, vocab_size: int = 1000) -> dict:
    """SentencePiece's Unigram language model: spaces become "▁" and belong to the next piece."""
    from tokenizers import SentencePieceUnigramTokenizer

    tok = SentencePieceUnigramTokenizer()  # Metaspace pre-tokenizer and decoder, as the prompt asks ...
    tok.normalizer = None                  # ... but no NFKC and no squeezing of runs of spaces
    tok.train_from_iterator([text], vocab_size=vocab_size, special_tokens=["<unk>"], unk_token="<unk>",
                            show_progress=False)
    unk = tok.token_to_id("<unk>")
    unknown = num_tokens = 0
    for token_id in tok.encode(eval_text).ids:
        num_tokens += 1
        unknown += token_id == unk
    return row("unigram", tok.get_vocab_size(), num_tokens, unknown, eval_text)


def row(name: str, vocab_size: int, num_tokens: int, unknown: int, eval_text: str) -> dict:
    return {"name": name, "vocab_size": vocab_size, "num_tokens": num_tokens,
            "tokens_per_char": num_tokens / len(eval_text),
            "unk_rate": unknown / num_tokens if num_tokens else 0.0}


def compare_tokenizers(text: str, eval_text: str | None = None) -> list[dict]:
    """Train on ``text``, measure on ``eval_text`` (default: ``text`` itself); one row per tokenizer."""
    eval_text = text if eval_text is None else eval_text
    return [char_row(text, eval_text), word_row(text, eval_text), bpe_row(text, eval_text, 300),
            bpe_row(text, eval_text, 1000), wordpiece_row(text, eval_text), unigram_row(text, eval_text)]
