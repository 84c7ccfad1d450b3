"""Public tests for the bigram model: run by *Run* and shown to the learner."""
import math

import torch

from course_harness import artifacts, assert_tensor_close, corpus_path, get_function

SIGNATURES = {
    "build_vocab": "build_vocab(text: str) -> tuple[dict[str, int], dict[int, str]]",
    "bigram_counts": "bigram_counts(ids: torch.Tensor, vocab_size: int) -> torch.Tensor",
    "bigram_probs": "bigram_probs(counts: torch.Tensor, smoothing: float = 1.0) -> torch.Tensor",
    "sample": "sample(probs: torch.Tensor, start_id: int, length: int, generator: torch.Generator) -> list[int]",
    "nll": "nll(probs: torch.Tensor, ids: torch.Tensor) -> float",
}

# A small original text to learn from (about 500 characters).
TEXT = (
    "the lamp on the quay burns low and the tide comes in.\n"
    "a gull sits on the rail and counts the boats that come home.\n"
    "the baker wakes at four, and the bread is warm by six.\n"
    "rain on the roof, a kettle on the stove, a cat on the mat.\n"
    "we walk the long road to the hill and back before dark.\n"
    "the river keeps its own time and never asks the clock.\n"
    "an old dog dreams of the sea, and the sea dreams of nothing.\n"
    "quiet hands mend the nets while the moon climbs the masts.\n"
    "so the town sleeps, and the lamp on the quay burns on.\n"
)


def fn(name):
    return get_function(name, SIGNATURES[name])


def encode(text):
    """Reference encoding: sorted unique characters -> ids, as a (N,) int64 tensor."""
    stoi = {ch: i for i, ch in enumerate(sorted(set(text)))}
    return stoi, torch.tensor([stoi[ch] for ch in text], dtype=torch.long)


def loop_counts(ids, vocab_size):
    """Reference counts with a plain Python loop."""
    counts = [[0] * vocab_size for _ in range(vocab_size)]
    seq = ids.tolist()
    for a, b in zip(seq, seq[1:]):
        counts[a][b] += 1
    return torch.tensor(counts, dtype=torch.long)


def check_sample(result, length, start, vocab_size, what):
    """Fail with a readable message unless ``result`` is a list of ``length`` valid int ids starting at ``start``."""
    if not isinstance(result, list):
        raise AssertionError(f"sample should return a Python list of ints, but {what} returned {type(result).__name__}.")
    if len(result) != length:
        raise AssertionError(f"sample(..., length={length}) returned {len(result)} ids; expected exactly {length}, "
                             "the first being start_id.")
    bad = [x for x in result if not isinstance(x, int) or isinstance(x, bool)]
    if bad:
        raise AssertionError(f"sample should return Python ints (use .item()), but found {type(bad[0]).__name__}.")
    if result[0] != start:
        raise AssertionError(f"the sample should start with start_id={start}, but it starts with {result[0]}.")
    outside = [x for x in result if not 0 <= x < vocab_size]
    if outside:
        raise AssertionError(f"the sample contains id {outside[0]}, outside the vocabulary 0..{vocab_size - 1}.")


def test_vocab_maps_sorted_characters_to_ids():
    stoi, itos = fn("build_vocab")("hello, world")
    expected = {ch: i for i, ch in enumerate(sorted(set("hello, world")))}
    assert stoi == expected, f"build_vocab('hello, world')[0] should be {expected}, got {stoi}."
    assert itos == {i: ch for ch, i in expected.items()}, f"itos should be the inverse of stoi, got {itos}."


def test_counts_match_a_python_loop():
    stoi, ids = encode(TEXT)
    V = len(stoi)
    counts = fn("bigram_counts")(ids, V)
    assert_tensor_close(counts, loop_counts(ids, V), atol=0, rtol=0, name=f"bigram_counts(ids, {V})")


def test_probability_rows_sum_to_one():
    stoi, ids = encode(TEXT)
    V = len(stoi)
    counts = loop_counts(ids, V)
    for smoothing in (1.0, 0.5):
        probs = fn("bigram_probs")(counts, smoothing=smoothing)
        smoothed = counts.to(torch.float32) + smoothing
        assert_tensor_close(probs, smoothed / smoothed.sum(dim=1, keepdim=True), atol=1e-6,
                            name=f"bigram_probs(counts, smoothing={smoothing})")
        assert_tensor_close(probs.sum(dim=1), torch.ones(V), atol=1e-5,
                            name=f"the vector of row sums of bigram_probs(counts, smoothing={smoothing})")


def test_nll_matches_a_hand_computation():
    probs = torch.tensor([[0.5, 0.25, 0.25],
                          [0.1, 0.6, 0.3],
                          [0.2, 0.2, 0.6]])
    ids = torch.tensor([0, 1, 1, 2, 0])  # pairs (0,1) (1,1) (1,2) (2,0)
    expected = -(math.log(0.25) + math.log(0.6) + math.log(0.3) + math.log(0.2)) / 4
    result = fn("nll")(probs, ids)
    if not isinstance(result, float):
        raise AssertionError(f"nll should return a Python float (use .item()), got {type(result).__name__}.")
    assert abs(result - expected) < 1e-5, (
        f"nll(probs, [0, 1, 1, 2, 0]) should be {expected:.6f} (the mean of -log P over the 4 pairs), got {result:.6f}.")


def test_sampling_is_reproducible_and_shows_generated_text():
    corpus = corpus_path()  # tiny Shakespeare when the platform provides it, else None
    text = corpus.read_text(encoding="utf-8")[:200_000] if corpus else TEXT
    source = "tiny Shakespeare" if corpus else "the short text in the tests"
    stoi, itos = fn("build_vocab")(text)
    V = len(stoi)
    ids = torch.tensor([stoi[ch] for ch in text], dtype=torch.long)  # (N,)
    probs = fn("bigram_probs")(fn("bigram_counts")(ids, V), smoothing=0.1)  # (V, V)
    start = stoi["\n"] if "\n" in stoi else int(ids[0])
    sample = fn("sample")
    first = sample(probs, start, 200, torch.Generator().manual_seed(1234))
    check_sample(first, 200, start, V, "sample(probs, start_id, 200, generator)")

    # Shown under the results: the generated text and how uncertain the model is after each character.
    chars = {i: ch for ch, i in stoi.items()}
    p = probs.detach().to(torch.float64)
    entropy = -(p * torch.log(p.clamp_min(1e-30))).sum(dim=1)  # (V,) in nats
    board = artifacts()
    board.text(f"generated text (bigram model of {source})", "".join(chars[i] for i in first))
    board.line("row entropy", entropy.tolist(), x_label="current character id",
               y_label="entropy of the next character (nats)")

    again = sample(probs, start, 200, torch.Generator().manual_seed(1234))
    assert again == first, ("two calls to sample with generators seeded alike gave different ids: draw every id "
                            "with torch.multinomial(..., generator=generator) and no other randomness.")
