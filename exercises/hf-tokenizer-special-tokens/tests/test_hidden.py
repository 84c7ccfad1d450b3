"""Hidden tests for the tokenizer with special tokens: edge cases of truncation and padding."""
from tokenizer_support import SPECIALS, PAD, BOS, EOS, TEXTS, trained, plain_ids, check_batch


def test_a_bigger_vocabulary_gives_fewer_tokens():
    small, big = trained(60), trained(300)
    assert small.get_vocab_size() <= 60 and big.get_vocab_size() <= 300
    n_small, n_big = len(plain_ids(small, TEXTS[2])), len(plain_ids(big, TEXTS[2]))
    assert n_big < n_small, (f"with 300 entries the sentence took {n_big} tokens, with 60 it took {n_small}: more "
                             "merges should mean fewer tokens (is vocab_size passed to the trainer?).")
    for token, expected in SPECIALS.items():
        assert small.token_to_id(token) == expected, f"{token} should keep id {expected} for any vocab_size."


def test_batch_of_equal_lengths_has_no_padding():
    tok = trained(300)
    out = check_batch(tok, [TEXTS[1], TEXTS[1]], max_len=200)
    assert bool((out["attention_mask"] == 1).all()), "two identical texts need no padding: the mask is all ones."


def test_max_len_two_keeps_only_bos_and_eos():
    tok = trained(300)
    out = check_batch(tok, [TEXTS[3], ""], max_len=2)
    assert out["input_ids"].tolist() == [[BOS, EOS], [BOS, EOS]]


def test_exact_fit_is_not_truncated():
    tok = trained(300)
    n = len(plain_ids(tok, TEXTS[6])) + 2
    out = check_batch(tok, [TEXTS[6]], max_len=n)  # exactly long enough
    assert out["input_ids"].shape == (1, n)
    check_batch(tok, [TEXTS[6]], max_len=n - 1)  # one short: the last real token goes, EOS stays


def test_empty_text_and_unknown_characters_in_a_batch():
    tok = trained(300)
    out = check_batch(tok, ["", "caf\u00e9 \u2615", "The cat slept on the warmest stair."], max_len=16)
    assert bool(((out["input_ids"] != PAD) == out["attention_mask"].bool()).all()), (
        "the mask should be 1 exactly where the ids are not [PAD].")


def test_one_call_does_not_change_the_next():
    tok = trained(300)
    check_batch(tok, [TEXTS[9]], max_len=5)
    check_batch(tok, [TEXTS[9], TEXTS[0]], max_len=100)  # settings from the first call must not linger
