"""Hidden tests for byte-level BPE: edge cases, run only on *Submit*."""
from course_harness import get_function

SIGNATURES = {
    "train_bpe": "train_bpe(text: str, vocab_size: int) -> list[tuple[bytes, bytes]]",
    "encode": "encode(text: str, merges: list[tuple[bytes, bytes]]) -> list[int]",
    "decode": "decode(ids: list[int], merges: list[tuple[bytes, bytes]]) -> str",
}

TEXT = """\
A kettle sings on the stove while the rain taps at the kitchen window. The cat
watches the kettle, the dog watches the cat, and the kettle keeps on singing.
Outside, the rain fills the water butt, the water butt fills the garden path,
and the garden path carries the rain down to the lane. In the lane the puddles
grow, and in the puddles the clouds look at themselves and drift away again.
"""

MULTILINGUAL = ("Crème brûlée, café crème, crème fraîche! 🚀🚀🚀 rocket rocket 🚀 "
                "日本語と日本語と日本語 — naïve naïve naïveté. 🔥 fire 🔥 fire 🔥. ") * 3


def fn(name):
    return get_function(name, SIGNATURES[name])


def oracle_train(text, vocab_size):
    """The reference algorithm, written plainly."""
    ids = list(text.encode("utf-8"))
    vocab = [bytes([b]) for b in range(256)]
    merges = []
    while len(vocab) < vocab_size:
        counts = {}
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], vocab[p[0]], vocab[p[1]]))
        if counts[best] < 2:
            break
        merges.append((vocab[best[0]], vocab[best[1]]))
        vocab.append(vocab[best[0]] + vocab[best[1]])
        out, i = [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == best:
                out.append(len(vocab) - 1)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        ids = out
    return merges, ids  # ids = the training text after every merge


def first_difference(mine, expected):
    for k, (a, b) in enumerate(zip(mine, expected)):
        if a != b:
            return k, a, b
    return min(len(mine), len(expected)), None, None


def test_merges_match_the_reference_algorithm_one_by_one():
    for text, vocab_size in ((TEXT, 356), (MULTILINGUAL, 320)):
        expected, _ = oracle_train(text, vocab_size)
        mine = fn("train_bpe")(text, vocab_size)
        if mine != expected:
            k, a, b = first_difference(list(mine), expected)
            raise AssertionError(
                f"train_bpe(text, {vocab_size}) differs from the reference at merge {k}: got {a!r}, expected {b!r} "
                f"(you returned {len(mine)} merges, expected {len(expected)}). Count pairs with overlaps, pick the "
                "highest count, break ties by the smallest (bytes_a, bytes_b), and merge left to right.")


def test_ties_compare_token_bytes_not_token_ids():
    # After (a, a), the pairs (aa, x) and (b, x) both occur twice. b"aa" < b"b", although aa has id 256 > 98.
    merges = fn("train_bpe")("aaxaaxbxbx", 300)
    expected = [(b"a", b"a"), (b"aa", b"x"), (b"b", b"x")]
    assert merges == expected, (
        f"train_bpe('aaxaaxbxbx', 300) should be {expected}, got {merges}. Break ties by comparing the tokens' "
        "bytes (b'aa' < b'b'), not their ids.")


def test_training_stops_when_no_pair_repeats():
    train_bpe = fn("train_bpe")
    cases = {"abcd": [], "abab": [(b"a", b"b")], "": [], "z": [], "aaaaaa": [(b"a", b"a"), (b"aa", b"aa")],
             "aaa": [(b"a", b"a")], "xaaay": [(b"a", b"a")]}
    for text, expected in cases.items():
        merges = train_bpe(text, 300)
        assert merges == expected, (
            f"train_bpe({text!r}, 300) should be {expected}, got {merges}. Stop as soon as the best pair occurs "
            "fewer than 2 times (or no pair is left), even if vocab_size is not reached. Overlaps count: 'aaa' "
            "holds (a, a) twice (positions 0-1 and 1-2), so it is merged (into 'aa a'); 'aaaa' holds it 3 times.")


def test_encoding_the_training_text_replays_the_training_segmentation():
    for text, vocab_size in ((TEXT, 356), (MULTILINGUAL, 320)):
        merges, expected_ids = oracle_train(text, vocab_size)
        ids = fn("encode")(text, merges)
        assert ids == expected_ids, (
            f"encode(training text, merges) should give the same {len(expected_ids)} ids the training loop ended "
            f"with, got {len(ids) if isinstance(ids, list) else ids!r:.40} ids that differ. Apply merges in the "
            "order they were learned (merge k = id 256 + k), each one over the whole sequence, left to right.")


def test_emoji_and_accents_split_inside_characters_still_round_trip():
    merges, _ = oracle_train(MULTILINGUAL, 320)
    encode, decode = fn("encode"), fn("decode")
    texts = ["🚀", "crème 🚀🔥 日本", "naïveté🚀" * 5, "🔥🔥🔥🔥", "éééé", "a 🚀 b é c 日"]
    for text in texts:
        ids = encode(text, merges)
        back = decode(ids, merges)
        assert back == text, (f"round trip failed for {text!r}: got {back!r}. Tokens may hold part of a character, "
                              "so decode UTF-8 only after joining the bytes of every token.")
    # A merge inside the 4 bytes of the rocket emoji must be used when encoding it.
    assert len(encode("🚀🚀🚀", merges)) < 12, "the merges learned inside '🚀' (4 bytes) should shorten '🚀🚀🚀'."


def test_decode_accepts_plain_byte_ids_and_empty_input():
    decode = fn("decode")
    merges, _ = oracle_train(TEXT, 300)
    assert decode([], merges) == "", "decode([], merges) should be the empty string."
    assert decode(list("héllo".encode("utf-8")), merges) == "héllo", (
        "decode of raw byte ids (all < 256) should give back the text those bytes spell.")
    assert fn("encode")("", merges) == [], "encode('', merges) should be []."


def test_encode_applies_merges_in_learned_order_not_by_frequency():
    encode = fn("encode")
    # Merge 0 is (a, b), merge 1 is (b, c). In "abcbcbc" the pair (b, c) is more frequent, but (a, b)
    # was learned first, so it goes first: ab c bc bc. Merging by frequency would give a bc bc bc.
    merges = [(b"a", b"b"), (b"b", b"c")]
    ids = encode("abcbcbc", merges)
    assert ids == [256, 99, 257, 257], (
        f"encode('abcbcbc', [(b'a', b'b'), (b'b', b'c')]) should be [256, 99, 257, 257] (ab c bc bc), got {ids}. "
        "Apply the merges in the order they were learned (merge 0 everywhere, then merge 1, ...), not by how "
        "often a pair occurs in the text being encoded.")
    # A later merge whose parts only exist after an earlier one: (x, y) then (xy, xy) then (xyxy, z).
    merges = [(b"x", b"y"), (b"xy", b"xy"), (b"xyxy", b"z"), (b"z", b"z")]
    ids = encode("xyxyzzz", merges)
    assert ids == [258, 259], (
        f"encode('xyxyzzz', merges) with merges {merges} should be [258, 259] (xyxyz zz), got {ids}: merge 2 "
        "(xyxy, z) comes before merge 3 (z, z), so it takes the first z.")
