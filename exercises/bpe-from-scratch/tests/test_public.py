"""Public tests for byte-level BPE: run by *Run* and shown to the learner."""
import ast
import inspect

from course_harness import artifacts, assert_not_using, get_function, submission

SIGNATURES = {
    "train_bpe": "train_bpe(text: str, vocab_size: int) -> list[tuple[bytes, bytes]]",
    "encode": "encode(text: str, merges: list[tuple[bytes, bytes]]) -> list[int]",
    "decode": "decode(ids: list[int], merges: list[tuple[bytes, bytes]]) -> str",
}
TOKENIZER_LIBRARIES = {"tokenizers", "tiktoken", "sentencepiece", "transformers"}

# An original text to train on (about 3.8 KB) and a held-out paragraph in the same style.
TRAIN_TEXT = """\
The harbour town of Wrenmouth wakes before the sun. Long before the first bus
rattles down the hill, the bakers have lit their ovens, the fishing boats have
slipped their moorings, and the gulls have started their daily argument over
the rooftops. Visitors who arrive in the afternoon see a quiet place with
painted doors and window boxes full of geraniums, but the people who live there
know that most of the real work is finished by breakfast.

The oldest building on the quay is the customs house, a square stone block with
a clock that has not told the right time for forty years. Nobody minds. The
fishermen read the tide, not the clock, and the children read the shadows on the
harbour wall. When the shadow of the lamp post touches the third bollard, it is
time to go to school; when it reaches the slipway, it is time to come home.

Every town has its stories, and Wrenmouth has more than most. There is the story
of the lighthouse keeper who kept a goat on the gallery, and the story of the
winter the harbour froze so hard that the mayor drove a cart across it. There is
the story of the schoolteacher who taught the whole village to sing in four
parts, and the story of the storm that carried a rowing boat into the church
tower. Some of these stories are true. The people of the town will not tell you
which ones, and they enjoy watching visitors try to work it out.

In the summer the population doubles. Families come for the beaches and the
boat trips, walkers come for the cliff path, and painters come for the light,
which is said to be softer here than anywhere else on the coast. The cafes put
tables out on the pavement, the ice cream van parks by the war memorial, and the
harbour master spends his days explaining to people in hired boats that the
channel is narrower than it looks. By September most of them have gone, and the
town breathes out.

Autumn is the season the locals like best. The evenings draw in, the first
storms arrive from the west, and the pub on the corner lights its fire again. On
Thursday nights there is a quiz, and the same four teams have been competing for
as long as anyone can remember. The fishermen always win the questions about
weather and knots, the teachers win the questions about history, and the
retired postman wins everything else. Nobody has ever worked out how he knows so
much, but he says it comes from reading other people's postcards.

Winter is harder. Some of the shops close until spring, the boats stay in the
harbour for days at a time, and the wind finds every gap in every window frame.
But winter is also when the town looks after itself. Neighbours check on the old
people at the top of the hill, the school holds a concert in the chapel, and on
the shortest day of the year everyone walks down to the quay with lanterns to
watch the sun set over the water. It is a small tradition, and nobody is quite
sure when it started, but it is the one thing that everybody in Wrenmouth
agrees on.

Spring comes slowly, then all at once. One morning the hedges along the lane are
bare, and the next they are full of blossom. The first visitors of the year
appear with their maps and their walking boots, the cafes wipe down their
tables, and the harbour master paints a fresh white line along the edge of the
quay. The boats go out a little further each week, and the catch gets a little
better. The children start counting the days until the summer holidays, and the
gulls, who never stopped arguing, find new things to argue about.

If you ever visit, take the cliff path at low tide, buy a loaf from the bakery
on the corner before the morning rush, and sit on the harbour wall at sunset.
Ask the retired postman about the clock on the customs house. He will tell you
a different story every time, and every one of them will be worth hearing.
"""

HELD_OUT_TEXT = """\
The village of Marrow Green sits in a valley three miles inland, where the river
bends twice before it reaches the sea. It has one shop, one school and one bridge,
and the people who live there are proud of all three. In the spring the meadows
by the river fill with buttercups, and the farmers walk their fields every
morning to check the lambs. In the autumn the orchards on the south side of the
valley are heavy with apples, and the whole village helps with the harvest. The
children are given the day off school, the shop sells cider by the jug, and in
the evening there is a supper in the village hall with long tables and paper
lanterns. Visitors are always welcome, and most of them come back the next year.
"""

VARIED_TEXTS = [
    "Café au lait, crème brûlée and a naïve piñata: déjà vu!",
    "Rocket 🚀, fire 🔥 and a family emoji 👨‍👩‍👧 (seven code points, one glyph).",
    "Ελληνικά, русский, 日本語のテキスト, हिन्दी and עברית in one line.",
    "tabs\tand\nnew lines\r\n  and   runs of spaces   ",
    "",
    "x",
]


def fn(name):
    return get_function(name, SIGNATURES[name])


def check_merges(merges, call):
    if not isinstance(merges, list):
        raise AssertionError(f"{call} should return a list of (bytes, bytes) tuples, got {type(merges).__name__}.")
    for k, m in enumerate(merges):
        if not (isinstance(m, tuple) and len(m) == 2 and all(isinstance(p, bytes) for p in m)):
            raise AssertionError(f"{call}[{k}] should be a tuple of two bytes objects like (b'a', b'b'), "
                                 f"got {m!r:.60}. Store the bytes of the two tokens, not their ids.")


def check_ids(ids, vocab_size, call):
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise AssertionError(f"{call} should return a list of Python ints, got {ids!r:.80}.")
    outside = [i for i in ids if not 0 <= i < vocab_size]
    if outside:
        raise AssertionError(f"{call} returned id {outside[0]}, outside 0..{vocab_size - 1} "
                             "(256 byte ids plus one id per merge).")


def hf_bytes_per_token(train_text, vocab_size, texts):
    """Bytes per token of Hugging Face's byte-level BPE trained like yours, on each of ``texts``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=[], show_progress=False)
    tok.train_from_iterator([train_text], trainer=trainer)
    return [len(t.encode("utf-8")) / len(tok.encode(t).ids) for t in texts]


def test_tiny_text_gives_the_merges_from_the_example():
    merges = fn("train_bpe")("aaabdaaabac", 259)
    check_merges(merges, 'train_bpe("aaabdaaabac", 259)')
    expected = [(b"a", b"a"), (b"a", b"b"), (b"aa", b"ab")]
    assert merges == expected, (
        f'train_bpe("aaabdaaabac", 259) should be {expected}, got {merges}. (a, a) occurs 4 times; after merging '
        "it, (aa, a) and (a, b) both occur twice and the tie goes to the smaller bytes: b'a' < b'aa'.")
    ids = fn("encode")("aaabdaaabac", expected)
    assert ids == [258, 100, 258, 97, 99], (
        f"encode('aaabdaaabac', merges) should be [258, 100, 258, 97, 99] (merge k gets id 256 + k), got {ids}.")


def test_round_trip_is_exact_for_varied_text():
    merges = fn("train_bpe")(TRAIN_TEXT, 356)
    check_merges(merges, "train_bpe(TRAIN_TEXT, 356)")
    encode, decode = fn("encode"), fn("decode")
    for text in [TRAIN_TEXT, HELD_OUT_TEXT, *VARIED_TEXTS]:
        ids = encode(text, merges)
        check_ids(ids, 256 + len(merges), f"encode({text[:30]!r}..., merges)")
        back = decode(ids, merges)
        assert back == text, (f"decode(encode(text)) gave {back[:60]!r} for the text {text[:60]!r}. Join the "
                              "bytes of all tokens first and decode UTF-8 once at the end: an emoji or an accented "
                              "letter can be split over several tokens.")


def test_training_text_gets_shorter_as_the_vocabulary_grows():
    train_bpe, encode = fn("train_bpe"), fn("encode")
    sizes = [256, 306, 356, 456]
    lengths = []
    for vocab_size in sizes:
        merges = train_bpe(TRAIN_TEXT, vocab_size)
        check_merges(merges, f"train_bpe(TRAIN_TEXT, {vocab_size})")
        assert len(merges) == vocab_size - 256, (
            f"train_bpe(TRAIN_TEXT, {vocab_size}) returned {len(merges)} merges; this text has plenty of repeated "
            f"pairs, so expected vocab_size - 256 = {vocab_size - 256}.")
        lengths.append(len(encode(TRAIN_TEXT, merges)))
    assert lengths[0] == len(TRAIN_TEXT.encode("utf-8")), (
        f"with no merges, encode should return one id per byte ({len(TRAIN_TEXT.encode('utf-8'))}), got {lengths[0]}.")
    assert all(a > b for a, b in zip(lengths, lengths[1:])), (
        f"encoded lengths of the training text for vocab sizes {sizes} were {lengths}; each merge of a pair that "
        "occurs at least twice should make the encoding shorter.")


def test_compression_is_within_10_percent_of_hugging_face_bpe():
    train_bpe, encode = fn("train_bpe"), fn("encode")
    lines = ["bytes per token (higher = more compression); yours vs Hugging Face `tokenizers` byte-level BPE", ""]
    problems = []
    for vocab_size in (306, 456):
        merges = train_bpe(TRAIN_TEXT, vocab_size)
        check_merges(merges, f"train_bpe(TRAIN_TEXT, {vocab_size})")
        theirs = hf_bytes_per_token(TRAIN_TEXT, vocab_size, [TRAIN_TEXT, HELD_OUT_TEXT])
        for name, text, ref in (("training text", TRAIN_TEXT, theirs[0]), ("held-out text", HELD_OUT_TEXT, theirs[1])):
            mine = len(text.encode("utf-8")) / max(len(encode(text, merges)), 1)
            lines.append(f"vocab {vocab_size}, {name}: yours {mine:.3f}, Hugging Face {ref:.3f}")
            if abs(mine / ref - 1) > 0.10:
                problems.append(f"vocab {vocab_size}, {name}: {mine:.3f} bytes/token vs {ref:.3f}")
    merges = train_bpe(TRAIN_TEXT, 456)
    vocab = [bytes([b]) for b in range(256)] + [a + b for a, b in merges]
    sample = "The harbour master paints a fresh white line."
    pieces = [vocab[i].decode("utf-8", errors="replace") for i in encode(sample, merges) if 0 <= i < len(vocab)]
    lines += ["", "a held-out sentence split into your tokens (vocab 456):", "|".join(pieces)]
    artifacts().text("BPE compression and tokens", "\n".join(lines))
    assert not problems, ("your compression is more than 10 % away from Hugging Face's byte-level BPE trained on "
                          "the same text: " + "; ".join(problems) + ". Check that you merge the MOST frequent pair "
                          "each step and that encode applies every merge.")


def test_does_not_use_a_tokenizer_library():
    assert_not_using(TOKENIZER_LIBRARIES, "Write BPE yourself with lists, dicts and bytes; tokenizer libraries "
                                          "(tokenizers, tiktoken, sentencepiece, transformers) are not allowed.")
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError, SyntaxError):
        return
    found = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and (node.module or "").split(".")[0] in TOKENIZER_LIBRARIES]
    assert not found, (f"line {found[0]} imports from a tokenizer library; write BPE yourself with lists, dicts "
                       "and bytes.")
