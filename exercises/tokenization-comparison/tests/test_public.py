"""Public tests for the tokenizer comparison: run by *Run* and shown to the learner."""
from comparison_support import EVAL_TEXT, TRAIN_TEXT, close, reference_bpe, reference_unigram, rows_by_name


def test_returns_one_row_per_tokenizer_with_the_documented_fields():
    rows = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    for name, r in rows.items():
        assert isinstance(r["vocab_size"], int) and isinstance(r["num_tokens"], int), (
            f"row {name!r}: vocab_size and num_tokens should be ints, got {r['vocab_size']!r} and {r['num_tokens']!r}.")
        close(r["tokens_per_char"], r["num_tokens"] / len(EVAL_TEXT), 1e-9,
              f"row {name!r}: tokens_per_char (num_tokens / number of characters of the measured text)")
        assert 0.0 <= r["unk_rate"] <= 1.0, f"row {name!r}: unk_rate should be a fraction in [0, 1], got {r['unk_rate']}."


def test_character_and_word_rows_match_direct_counts():
    rows = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    chars, words, eval_words = set(TRAIN_TEXT), set(TRAIN_TEXT.split()), EVAL_TEXT.split()
    close(rows["char"]["vocab_size"], len(chars) + 1, 0, "the char vocabulary (distinct training characters + [UNK])")
    close(rows["char"]["num_tokens"], len(EVAL_TEXT), 0, "the number of char tokens")
    close(rows["char"]["unk_rate"], sum(c not in chars for c in EVAL_TEXT) / len(EVAL_TEXT), 1e-9,
          "the char unk_rate (characters never seen in training / all characters)")
    close(rows["word"]["vocab_size"], len(words) + 1, 0, "the word vocabulary (distinct text.split() words + [UNK])")
    close(rows["word"]["num_tokens"], len(eval_words), 0, "the number of word tokens (eval_text.split())")
    close(rows["word"]["unk_rate"], sum(w not in words for w in eval_words) / len(eval_words), 1e-9,
          "the word unk_rate (words never seen in training / all words)")


def test_bpe_rows_match_a_reference_training():
    rows = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    for size in (300, 1000):
        tok = reference_bpe(TRAIN_TEXT, size)
        r = rows[f"bpe-{size}"]
        close(r["vocab_size"], tok.get_vocab_size(), 0, f"bpe-{size}'s vocab_size (tokenizer.get_vocab_size())")
        close(r["num_tokens"], len(tok.encode(EVAL_TEXT).ids), 0.03,
              f"bpe-{size}'s num_tokens on the held-out text (train it exactly as the prompt says: "
              "ByteLevel(add_prefix_space=False) and initial_alphabet=ByteLevel.alphabet())")
        assert r["unk_rate"] == 0, (f"bpe-{size} reports unk_rate {r['unk_rate']}, but a byte-level BPE can spell "
                                    "any text from its 256 byte tokens, so nothing is unknown.")


def test_unigram_row_matches_a_reference_training():
    rows = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    tok = reference_unigram(TRAIN_TEXT)
    r = rows["unigram"]
    close(r["vocab_size"], tok.get_vocab_size(), 0,
          "unigram's vocab_size (tokenizer.get_vocab_size(): what training reached, far fewer than the 1000 asked "
          "on a text this small)")
    close(r["num_tokens"], len(tok.encode(EVAL_TEXT).ids), 0.03,
          "unigram's num_tokens on the held-out text (train it exactly as the prompt says: pre_tokenizers.Metaspace(), "
          "so a space becomes '▁' at the front of the next piece, and count every id, lone '▁' pieces included)")


def test_bigger_vocabularies_give_fewer_tokens_per_character(artifacts):
    rows = rows_by_name(TRAIN_TEXT, EVAL_TEXT)
    t = {name: r["tokens_per_char"] for name, r in rows.items()}
    assert t["char"] > t["bpe-300"] > t["bpe-1000"], (
        "expected tokens per character to fall as the vocabulary grows: char > bpe-300 > bpe-1000, got "
        f"char {t['char']:.3f}, bpe-300 {t['bpe-300']:.3f}, bpe-1000 {t['bpe-1000']:.3f}.")
    ordered = sorted(rows.values(), key=lambda r: r["vocab_size"])
    artifacts.line("tokens per character vs vocabulary size (" + ", ".join(r["name"] for r in ordered) + ")",
                   [r["tokens_per_char"] for r in ordered], x=[r["vocab_size"] for r in ordered],
                   x_label="vocabulary size", y_label="tokens per character")
