"""The WordPiece row copies the BPE row and reports unk_rate 0: WordPiece has no byte fallback,
so a word with a character it never saw (Zürich, café) becomes [UNK].

Caught by: test_wordpiece_row_matches_a_reference_training
"""
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def char_row(text: str, eval_text: str) -> dict:
    """Every character is a token; characters never seen in ``text`` are unknown."""
    vocab = set(text)
    unknown = sum(ch not in vocab for ch in eval_text)
    return row("char", len(vocab) + 1, len(eval_text), unknown, eval_text)  # + 1 for [UNK]


def word_row(text: str, eval_text: str) -> dict:
    """Every whitespace-separated word is a token; words never seen in ``text`` are unknown."""
    vocab = set(text.split())
    words = eval_text.split()
    unknown = sum(w not in vocab for w in words)
    return row("word", len(vocab) + 1, len(words), unknown, eval_text)


def bpe_row(text: str, eval_text: str, vocab_size: int) -> dict:
    """Byte-level BPE (GPT-2 style): all 256 bytes are in the alphabet, so nothing is unknown."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator([text], trainer=trainer)
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
    return row("wordpiece", tok.get_vocab_size(), len(ids), 0, eval_text)


def unigram_row(text: str, eval_text: str, vocab_size: int = 1000) -> dict:
    """SentencePiece's Unigram language model: spaces become "▁" and belong to the next piece;
    a run of characters it never saw becomes one <unk>."""
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=["<unk>"], unk_token="<unk>",
                                      show_progress=False)
    tok.train_from_iterator([text], trainer=trainer)
    ids = tok.encode(eval_text).ids
    unk = tok.token_to_id("<unk>")
    return row("unigram", tok.get_vocab_size(), len(ids), ids.count(unk), eval_text)


def row(name: str, vocab_size: int, num_tokens: int, unknown: int, eval_text: str) -> dict:
    return {"name": name, "vocab_size": vocab_size, "num_tokens": num_tokens,
            "tokens_per_char": num_tokens / len(eval_text),
            "unk_rate": unknown / num_tokens if num_tokens else 0.0}


def compare_tokenizers(text: str, eval_text: str | None = None) -> list[dict]:
    """Train on ``text``, measure on ``eval_text`` (default: ``text`` itself); one row per tokenizer."""
    eval_text = text if eval_text is None else eval_text
    return [char_row(text, eval_text), word_row(text, eval_text), bpe_row(text, eval_text, 300),
            bpe_row(text, eval_text, 1000), wordpiece_row(text, eval_text), unigram_row(text, eval_text)]
