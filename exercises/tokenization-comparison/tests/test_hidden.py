"""Hidden tests for the tokenizer comparison: WordPiece, Unigram's unknowns, unseen characters, code, small corpora."""
from comparison_support import (EVAL_TEXT, TRAIN_TEXT, close, reference_bpe, reference_unigram, reference_wordpiece,
                                rows_by_name, unigram_unknowns)

CODE_TEXT = """\
def mean(values):
    total = 0.0
    for v in values:
        total += v
    return total / max(len(values), 1)
"""


def test_wordpiece_row_matches_a_reference_training():
    rows = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    tok = reference_wordpiece(TRAIN_TEXT)
    ids = tok.encode(EVAL_TEXT).ids
    r = rows["wordpiece"]
    # WordPiece training is not bit-for-bit repeatable (its vocabulary varies by a few entries).
    close(r["vocab_size"], tok.get_vocab_size(), 0.03, "wordpiece's vocab_size")
    close(r["num_tokens"], len(ids), 0.05, "wordpiece's num_tokens on the held-out text")
    unknown = ids.count(tok.token_to_id("[UNK]"))
    expected_unk = unknown / len(ids)
    assert abs(r["unk_rate"] - expected_unk) < 0.02, (
        f"wordpiece's unk_rate is {r['unk_rate']:.3f}, expected about {expected_unk:.3f} (the fraction of its "
        "tokens that are [UNK]: words holding a character it never saw, like 'Zürich', become one [UNK]).")
    # The words that become [UNK] are those holding a character absent from the training text: their
    # number does not depend on the vocabulary WordPiece happened to learn, so it must match exactly.
    assert round(r["unk_rate"] * r["num_tokens"]) == unknown, (
        f"wordpiece's unk_rate {r['unk_rate']:.4f} times its num_tokens {r['num_tokens']} gives "
        f"{r['unk_rate'] * r['num_tokens']:.2f} unknown tokens, but encoding the held-out text gives {unknown} [UNK] "
        "tokens ('Zürich' and 'café' hold characters never seen in training). unk_rate is the number of [UNK] ids "
        "divided by the number of tokens.")


def test_unigram_unk_rate_counts_runs_of_unseen_characters():
    rows = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    unknown, total = unigram_unknowns(reference_unigram(TRAIN_TEXT), EVAL_TEXT)
    r = rows["unigram"]
    assert abs(r["unk_rate"] - unknown / total) < 0.02, (
        f"unigram's unk_rate is {r['unk_rate']:.4f}, expected about {unknown / total:.4f} (the fraction of its ids "
        "that are the <unk> id).")
    # The <unk> pieces are the runs of characters absent from the training text ('Zü' of 'Zürich', 'é' of 'café'):
    # their number does not depend on the pieces training kept, so it must match exactly.
    assert round(r["unk_rate"] * r["num_tokens"]) == unknown, (
        f"unigram's unk_rate {r['unk_rate']:.4f} times its num_tokens {r['num_tokens']} gives "
        f"{r['unk_rate'] * r['num_tokens']:.2f} unknown tokens, but encoding the held-out text gives {unknown} <unk> "
        "ids: a run of adjacent characters never seen in training ('Zü' of 'Zürich') is one <unk>, not one per "
        "character. Count the ids equal to tok.token_to_id('<unk>') (encoding.tokens shows the original text of an "
        "unknown piece, not '<unk>').")


def test_measuring_on_the_training_text_finds_nothing_unknown():
    rows = rows_by_name(TRAIN_TEXT)  # eval_text defaults to the training text
    for name, r in rows.items():
        assert r["unk_rate"] == 0, f"{name}: every piece of the training text is in the vocabulary, but unk_rate is {r['unk_rate']}."
    close(rows["char"]["tokens_per_char"], 1.0, 0, "char tokens per character")
    close(rows["word"]["num_tokens"], len(TRAIN_TEXT.split()), 0, "word tokens of the training text")
    close(rows["unigram"]["num_tokens"], len(reference_unigram(TRAIN_TEXT).encode(TRAIN_TEXT).ids), 0.03,
          "unigram tokens of the training text (Metaspace: each space is a '▁' at the front of the next piece)")


def test_unseen_characters_are_unknown_except_for_bytes():
    text = "naïve café ☕ über"
    rows = rows_by_name(TRAIN_TEXT, text)
    chars = set(TRAIN_TEXT)
    close(rows["char"]["unk_rate"], sum(c not in chars for c in text) / len(text), 1e-9, "char unk_rate on 'naïve café ☕ über'")
    close(rows["word"]["unk_rate"], 1.0, 0, "word unk_rate on 'naïve café ☕ über' (no word was seen in training)")
    wordpiece = reference_wordpiece(TRAIN_TEXT)
    ids = wordpiece.encode(text).ids
    close(rows["wordpiece"]["unk_rate"], ids.count(wordpiece.token_to_id("[UNK]")) / len(ids), 1e-9,
          "wordpiece unk_rate on 'naïve café ☕ über' (every word holds a character never seen in training, so each "
          "becomes one [UNK])")
    for size in (300, 1000):
        assert rows[f"bpe-{size}"]["unk_rate"] == 0, f"bpe-{size} must spell unseen characters from bytes (unk_rate 0)."
        close(rows[f"bpe-{size}"]["num_tokens"], len(reference_bpe(TRAIN_TEXT, size).encode(text).ids), 0,
              f"bpe-{size}'s num_tokens on 'naïve café ☕ über' (unseen characters are spelled from byte tokens: "
              "train with initial_alphabet=ByteLevel.alphabet() so all 256 bytes exist)")
        assert rows[f"bpe-{size}"]["num_tokens"] > len(text.split()), (
            f"bpe-{size} should need several byte tokens for the unseen characters.")
    unknown, total = unigram_unknowns(reference_unigram(TRAIN_TEXT), text)
    close(rows["unigram"]["num_tokens"], total, 0, "unigram's num_tokens on 'naïve café ☕ über'")
    close(rows["unigram"]["unk_rate"], unknown / total, 1e-9,
          "unigram unk_rate on 'naïve café ☕ über' (each of ï, é, ☕ and ü was never seen in training and stands "
          "alone, so each is one <unk> among the pieces)")


def test_code_costs_more_tokens_per_character_than_english():
    english = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    code = rows_by_name(TRAIN_TEXT, CODE_TEXT)
    tok = reference_bpe(TRAIN_TEXT, 1000)
    close(code["bpe-1000"]["num_tokens"], len(tok.encode(CODE_TEXT).ids), 0.03, "bpe-1000's num_tokens on Python code")
    unigram = reference_unigram(TRAIN_TEXT)
    close(code["unigram"]["num_tokens"], len(unigram.encode(CODE_TEXT).ids), 0.03,
          "unigram's num_tokens on Python code (with Metaspace and no normalizer every space of the indentation is "
          "a '▁', most of them lone '▁' pieces)")
    assert code["bpe-1000"]["tokens_per_char"] > english["bpe-1000"]["tokens_per_char"], (
        "a tokenizer trained on English prose should need more tokens per character for Python code "
        f"(indentation, symbols), got {code['bpe-1000']['tokens_per_char']:.3f} for code and "
        f"{english['bpe-1000']['tokens_per_char']:.3f} for English.")


def test_vocab_size_is_what_training_reached_not_what_was_asked():
    small = TRAIN_TEXT[:1000]  # too little text to learn 744 merges
    rows = rows_by_name(small, EVAL_TEXT)
    tok = reference_bpe(small, 1000)
    assert tok.get_vocab_size() < 1000
    close(rows["bpe-1000"]["vocab_size"], tok.get_vocab_size(), 0,
          "bpe-1000's vocab_size on a 1000-character corpus (report tokenizer.get_vocab_size(), not 1000)")
    close(rows["char"]["vocab_size"], len(set(small)) + 1, 0, "char vocab_size on a 1000-character corpus")
    close(rows["unigram"]["vocab_size"], reference_unigram(small).get_vocab_size(), 0,
          "unigram's vocab_size on a 1000-character corpus (report tokenizer.get_vocab_size(), not 1000)")
