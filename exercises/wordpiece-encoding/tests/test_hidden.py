"""Hidden tests for WordPiece encoding: edge cases, run only on *Submit*."""
from course_harness import get_function

SIGNATURES = {
    "pre_tokenize": "pre_tokenize(text: str) -> list[str]",
    "wordpiece_encode": 'wordpiece_encode(word: str, vocab, unk: str = "[UNK]", max_chars: int = 100) -> list[str]',
    "encode_text": 'encode_text(text: str, vocab, lowercase: bool = False, unk: str = "[UNK]") -> list[str]',
    "tokens_to_ids": 'tokens_to_ids(tokens: list[str], vocab: dict[str, int], unk: str = "[UNK]") -> list[int]',
    "pad_batch": "pad_batch(batch: list[list[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]",
}

VOCAB_LIST = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(".,!?'-") + ["¡"]
              + "the a cat sat on mat hello world new york city is big and old ca ##t ##s ##at".split()
              + "un una ##affable ##able ##ing ##ed walk talk".split())
VOCAB = {piece: i for i, piece in enumerate(VOCAB_LIST)}


def fn(name):
    return get_function(name, SIGNATURES[name])


def hf(vocab, lowercase=False, max_chars=100, unk="[UNK]"):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    tok = Tokenizer(models.WordPiece(vocab, unk_token=unk, max_input_chars_per_word=max_chars))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    if lowercase:
        tok.normalizer = normalizers.Lowercase()
    return tok


def test_greedy_matching_does_not_backtrack():
    # "una" is the longest first piece, and "##ffable" is not in the vocabulary. "un" + "##affable" would
    # work, but WordPiece never goes back to try a shorter first piece: the word is unknown.
    expected = hf(VOCAB).encode("unaffable").tokens
    assert expected == ["[UNK]"]
    result = fn("wordpiece_encode")("unaffable", VOCAB)
    assert result == expected, (
        f"wordpiece_encode('unaffable', vocab) should be ['[UNK]'] (longest first piece 'una', then no match for "
        f"'##ffable...'), got {result}. Do not backtrack to a shorter first piece.")


def test_words_longer_than_max_chars_become_unk():
    wp = fn("wordpiece_encode")
    vocab = {"[UNK]": 0, "a": 1, "##a": 2}
    for word, max_chars in (("a" * 5, 5), ("a" * 6, 5), ("a" * 100, 100), ("a" * 101, 100)):
        expected = hf(vocab, max_chars=max_chars).encode(word).tokens
        result = wp(word, vocab, max_chars=max_chars)
        assert result == expected, (
            f"wordpiece_encode('a' * {len(word)}, vocab, max_chars={max_chars}) should be "
            f"{expected if len(expected) < 4 else f'{len(expected)} pieces'}, got {str(result)[:80]}. A word of "
            "more than max_chars characters is [unk]; a word of exactly max_chars is split normally.")


def test_lowercase_flag_matches_a_lowercasing_normalizer():
    encode_text = fn("encode_text")
    for text in ("The CAT sat on the MAT.", "Hello, New York City!", "UNAFFABLE? Unable. WALKING"):
        for lowercase in (False, True):
            expected = hf(VOCAB, lowercase=lowercase).encode(text).tokens
            result = encode_text(text, VOCAB, lowercase=lowercase)
            assert result == expected, (
                f"encode_text({text!r}, vocab, lowercase={lowercase}) should be {expected}, got {result}. "
                "With lowercase=True, call text.lower() before pre-tokenizing; with False, keep the case.")


def test_symbols_and_unicode_punctuation_are_split_like_bert():
    from tokenizers import pre_tokenizers

    bert = pre_tokenizers.BertPreTokenizer()
    pre_tokenize = fn("pre_tokenize")
    texts = ["a^b|c~d`e<f>g_h@i#j{k}l[m]n\\o*p", "¡hola! „quoted“ 『x』 ‐ · §2", "5€ or ©2024 or 3×4 or ½",
             "tab\tnew\nline\u00a0nbsp\u3000ideographic space", "...!!??", "naïve café déjà-vu"]
    for text in texts:
        expected = [piece for piece, _ in bert.pre_tokenize_str(text)]
        result = pre_tokenize(text)
        assert result == expected, (
            f"pre_tokenize({text!r}) should be {expected}, got {result}. Punctuation means ASCII "
            "string.punctuation or a Unicode category starting with 'P'; symbols such as '€', '©' or '×' (categories "
            "S*) stay inside words, and every kind of whitespace separates.")


def test_pad_batch_matches_hugging_face_padding():
    tok = hf(VOCAB)
    tok.enable_padding(pad_id=VOCAB["[PAD]"], pad_token="[PAD]")
    texts = ["the cat sat on the mat.", "hello world!", "a", "new york city is big and old, the cat is old."]
    encodings = tok.encode_batch(texts)
    batch = [[i for i, m in zip(e.ids, e.attention_mask) if m] for e in encodings]  # unpadded rows
    result = fn("pad_batch")(batch, VOCAB["[PAD]"])
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError(f"pad_batch should return (padded_ids, attention_mask), got {result!r:.100}.")
    ids, mask = result
    assert [list(r) for r in ids] == [e.ids for e in encodings], (
        f"pad_batch ids should be {[e.ids for e in encodings]}, got {ids}. Pad each row on the right with pad_id "
        "up to the length of the longest row.")
    assert [list(r) for r in mask] == [e.attention_mask for e in encodings], (
        f"the attention mask should be {[e.attention_mask for e in encodings]}, got {mask}: 1 for real tokens, "
        "0 for padding.")


def test_custom_unk_token_is_used_everywhere():
    vocab = {"<unk>": 0, "cat": 1, "##s": 2, "the": 3}
    expected = hf(vocab, unk="<unk>").encode("the cats purr loudly").tokens
    result = fn("encode_text")("the cats purr loudly", vocab, unk="<unk>")
    assert result == expected, (
        f"encode_text('the cats purr loudly', vocab, unk='<unk>') should be {expected}, got {result}. Pass unk on "
        "to wordpiece_encode.")
    ids = fn("tokens_to_ids")(["the", "dogs", "<unk>", "cat"], vocab, unk="<unk>")
    assert ids == [3, 0, 0, 1], (
        f"tokens_to_ids(['the', 'dogs', '<unk>', 'cat'], vocab, unk='<unk>') should be [3, 0, 0, 1], got {ids}: "
        "a token missing from the vocabulary gets the id of unk.")
    vocab = {"[PAD]": 0, "cat": 1, "<unk>": 2, "the": 3}
    ids = fn("tokens_to_ids")(["the", "dogs", "cat"], vocab, unk="<unk>")
    assert ids == [3, 2, 1], (
        f"tokens_to_ids(['the', 'dogs', 'cat'], {vocab}, unk='<unk>') should be [3, 2, 1], got {ids}: a token "
        "missing from the vocabulary gets vocab[unk] (here 2), not a fixed id.")


def test_mask_marks_positions_not_ids():
    # Id 0 is a real token here (as "!" is in GPT-2's vocabulary): the mask says where the padding
    # was added, it does not compare ids with pad_id.
    result = fn("pad_batch")([[0, 5, 0], [7], [0]], 0)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError(f"pad_batch should return (padded_ids, attention_mask), got {result!r:.100}.")
    ids, mask = result
    assert [list(r) for r in ids] == [[0, 5, 0], [7, 0, 0], [0, 0, 0]], (
        f"pad_batch([[0, 5, 0], [7], [0]], pad_id=0) ids should be [[0, 5, 0], [7, 0, 0], [0, 0, 0]], got {ids}.")
    assert [list(r) for r in mask] == [[1, 1, 1], [1, 0, 0], [1, 0, 0]], (
        f"pad_batch([[0, 5, 0], [7], [0]], pad_id=0) mask should be [[1, 1, 1], [1, 0, 0], [1, 0, 0]], got {mask}: "
        "the mask marks the positions you padded, not the ids equal to pad_id (a real token can have that id).")
