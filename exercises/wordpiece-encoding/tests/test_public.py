"""Public tests for WordPiece encoding: run by *Run* and shown to the learner."""
import ast
import inspect

from course_harness import assert_not_using, get_function, submission

SIGNATURES = {
    "pre_tokenize": "pre_tokenize(text: str) -> list[str]",
    "wordpiece_encode": 'wordpiece_encode(word: str, vocab, unk: str = "[UNK]", max_chars: int = 100) -> list[str]',
    "encode_text": 'encode_text(text: str, vocab, lowercase: bool = False, unk: str = "[UNK]") -> list[str]',
    "add_special_tokens": "add_special_tokens(tokens_a: list[str], tokens_b: list[str] | None = None) "
                          "-> tuple[list[str], list[int]]",
    "tokens_to_ids": 'tokens_to_ids(tokens: list[str], vocab: dict[str, int], unk: str = "[UNK]") -> list[int]',
    "pad_batch": "pad_batch(batch: list[list[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]",
}
TOKENIZER_LIBRARIES = {"tokenizers", "transformers", "tiktoken", "sentencepiece"}

# A small hand-built vocabulary: specials, punctuation, whole words, start pieces and ## continuations.
VOCAB_LIST = (
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    + list(".,!?'\"-():;$%&+=/") + ["«", "»", "—", "…", "¿"]
    + "the a an and of to in is was it this that on for with my we they you i not very so".split()
    + "good bad movie film book read play walk talk run sun rain day night old new cat dog house".split()
    + "garden token word sub piece learn teach transform model train test kind help use happy".split()
    + "un re over pre wonder ful care 1 2 3 5 10 20 The We It This".split()
    + ["##" + s for s in "s ed ing er ers est ly ness able ful less ize izer ization word piece ment "
                         "ish y 0 5 er's full house dog".split()]
)
VOCAB = {piece: i for i, piece in enumerate(VOCAB_LIST)}

SENTENCES = [
    "the cat walked to the garden",
    "We read the books and played with the dogs!",
    "This movie was not very good, but the soundtrack was wonderful.",
    "un-helpful? unhelpful! unkindly, carelessly; overused (retrained)",
    "tokenization: sub-word pieces help models learn rare words.",
    "It costs $5 + 10% = ... less than $20, they said.",
    "The xylophone in Zürich was not happy…",
    "«  teach  » — ¿kindness?",
    "wonderfully careless helpers use tokenizers",
    "i can't walk; you can't run",
    "the old house, the new house & the dog's house",
    "",
    "   ",
]


def fn(name):
    return get_function(name, SIGNATURES[name])


def hf_tokenizer(lowercase=False, specials=False):
    """The answer key: Hugging Face's WordPiece with BERT's pre-tokenizer (and post-processor)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.WordPiece(VOCAB, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    if lowercase:
        tok.normalizer = normalizers.Lowercase()
    if specials:
        tok.post_processor = processors.BertProcessing(("[SEP]", VOCAB["[SEP]"]), ("[CLS]", VOCAB["[CLS]"]))
    return tok


def check_tokens(result, expected, call, hint):
    if result != expected:
        raise AssertionError(f"{call} should be {expected}, got {result!r:.300}. {hint}")


def test_wordpiece_splits_a_word_greedily_longest_match_first():
    wp = fn("wordpiece_encode")
    vocab = set(VOCAB_LIST)
    cases = {
        "playing": ["play", "##ing"],
        "tokenization": ["token", "##ization"],
        "wonderful": ["wonder", "##ful"],
        "unhappiness": ["[UNK]"],        # "un", "##happ..." : no "##happ" piece, so the whole word is [UNK]
        "careless": ["care", "##less"],
        "dog": ["dog"],
        "xylophone": ["[UNK]"],
    }
    for word, expected in cases.items():
        check_tokens(wp(word, vocab), expected, f"wordpiece_encode({word!r}, vocab)",
                     "Take the longest prefix that is in the vocabulary ('##' + prefix after the first piece); if "
                     "some position has no match, return [unk] for the whole word.")


def test_pre_tokenize_matches_bert_pre_tokenizer():
    from tokenizers import pre_tokenizers

    bert = pre_tokenizers.BertPreTokenizer()
    pre_tokenize = fn("pre_tokenize")
    for text in SENTENCES:
        expected = [piece for piece, _ in bert.pre_tokenize_str(text)]
        check_tokens(pre_tokenize(text), expected, f"pre_tokenize({text!r})",
                     "Split on whitespace and make every punctuation character (ASCII string.punctuation or a "
                     "Unicode category starting with 'P') a piece of its own.")


def test_encode_text_matches_hugging_face_wordpiece_token_for_token():
    tok = hf_tokenizer()
    encode_text = fn("encode_text")
    for text in SENTENCES:
        check_tokens(encode_text(text, VOCAB), tok.encode(text).tokens, f"encode_text({text!r}, vocab)",
                     "Pre-tokenize, then run wordpiece_encode on every word and concatenate the pieces.")


def test_special_tokens_and_ids_match_bert_processing():
    tok = hf_tokenizer(specials=True)
    encode_text, add, to_ids = fn("encode_text"), fn("add_special_tokens"), fn("tokens_to_ids")
    pairs = [("the cat walked to the garden", None),
             ("We read the books.", "they played with the dogs!"),
             ("The xylophone in Zürich", "")]
    for a, b in pairs:
        expected = tok.encode(a, b) if b is not None else tok.encode(a)
        tokens_b = encode_text(b, VOCAB) if b is not None else None
        result = add(encode_text(a, VOCAB), tokens_b)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError(f"add_special_tokens should return a pair (tokens, type_ids), got {result!r:.120}.")
        tokens, type_ids = result
        call = f"add_special_tokens(encode_text({a!r}), {'None' if b is None else f'encode_text({b!r})'})"
        check_tokens(list(tokens), expected.tokens, call + "[0]",
                     "A single sequence is [CLS] a [SEP]; a pair is [CLS] a [SEP] b [SEP].")
        check_tokens(list(type_ids), expected.type_ids, call + "[1]",
                     "Token type ids are 0 up to and including the first [SEP], then 1.")
        check_tokens(to_ids(tokens, VOCAB), expected.ids, f"tokens_to_ids({tokens!r:.60}..., vocab)",
                     "Look each token up in the dict; [CLS] and [SEP] are ordinary entries of the vocabulary.")


def test_does_not_use_a_tokenizer_library():
    assert_not_using(TOKENIZER_LIBRARIES, "Write WordPiece yourself with strings, sets and dicts; tokenizer "
                                          "libraries (tokenizers, transformers, ...) are not allowed.")
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError, SyntaxError):
        return
    found = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and (node.module or "").split(".")[0] in TOKENIZER_LIBRARIES]
    assert not found, f"line {found[0]} imports from a tokenizer library; write WordPiece yourself."
