"""Public tests for the tokenizer with special tokens: run by *Run* and shown to the learner."""
from course_harness import get_function
from tokenizer_support import (
    COLLATE_SIGNATURE, SPECIALS, PAD, BOS, EOS, UNK, TEXTS, trained, plain_ids, check_batch)


def test_special_tokens_have_fixed_ids_zero_to_three():
    tok = trained(300)
    for token, expected in SPECIALS.items():
        got = tok.token_to_id(token)
        assert got == expected, (f"{token} has id {got}, expected {expected}: pass special_tokens="
                                 "['[PAD]', '[BOS]', '[EOS]', '[UNK]'] to the trainer, in that order.")
    assert tok.get_vocab_size() <= 300, f"the vocabulary has {tok.get_vocab_size()} entries, more than vocab_size=300."


def test_unknown_characters_become_unk():
    tok = trained(300)
    ids = plain_ids(tok, "The \u2603 cat \u2602 slept")  # two characters the training texts never contain
    assert ids.count(UNK) == 2, (
        f"'The ☃ cat ☂ slept' was encoded as {ids}; each of the two unseen characters should become [UNK] "
        "(id 3). Give the BPE model unk_token='[UNK]' (a byte-level tokenizer never produces [UNK]).")
    assert UNK not in plain_ids(tok, TEXTS[0]), "a training sentence should encode without any [UNK]."


def test_collate_adds_bos_and_eos_and_pads_on_the_right():
    tok = trained(300)
    batch = ["The cat slept.", TEXTS[4], "Ships at sea."]
    out = check_batch(tok, batch, max_len=64)  # long enough: nothing is truncated
    assert out["input_ids"].shape[1] == len(plain_ids(tok, TEXTS[4])) + 2, (
        "pad to the longest sequence of the batch ([BOS] + tokens + [EOS]), not to max_len.")


def test_long_texts_are_truncated_but_keep_eos():
    tok = trained(300)
    out = check_batch(tok, [TEXTS[8], "The cat."], max_len=8)
    assert out["input_ids"].shape == (2, 8)
    assert int(out["input_ids"][0, -1]) == EOS, "a truncated row must still end with [EOS]."


def test_decoding_without_special_tokens_gives_the_text_back():
    tok = trained(300)
    batch = [TEXTS[0], "The keeper wrote letters.", TEXTS[19]]
    out = get_function("collate", COLLATE_SIGNATURE)(batch, tok, 64)
    for i, text in enumerate(batch):
        row = out["input_ids"][i][out["attention_mask"][i].bool()].tolist()
        decoded = tok.decode(row, skip_special_tokens=True)
        assert decoded == text, (
            f"decoding row {i} without special tokens gave {decoded!r}, expected {text!r}. Use the Metaspace "
            "pre-tokenizer together with decoders.Metaspace() so spaces survive the round trip.")
