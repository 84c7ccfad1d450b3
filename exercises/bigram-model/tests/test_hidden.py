"""Hidden tests for the bigram model: edge cases, run only on *Submit*."""
import math

import torch

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "bigram_counts": "bigram_counts(ids: torch.Tensor, vocab_size: int) -> torch.Tensor",
    "bigram_probs": "bigram_probs(counts: torch.Tensor, smoothing: float = 1.0) -> torch.Tensor",
    "sample": "sample(probs: torch.Tensor, start_id: int, length: int, generator: torch.Generator) -> list[int]",
    "nll": "nll(probs: torch.Tensor, ids: torch.Tensor) -> float",
}

# A second original text, different from the public one.
TEXT = (
    "morning fog lifts from the valley floor.\n"
    "a fox crosses the field, quick and careful, and is gone.\n"
    "jars of plum jam cool on the sill; the kitchen smells of sugar.\n"
    "two children argue about the shape of a cloud.\n"
    "by noon the bees have found every open flower.\n"
    "zinc roofs tick in the heat, and the well water stays cold.\n"
    "evening: the lanterns, the crickets, the long slow dusk.\n"
)


def fn(name):
    return get_function(name, SIGNATURES[name])


def encode(text):
    stoi = {ch: i for i, ch in enumerate(sorted(set(text)))}
    return stoi, torch.tensor([stoi[ch] for ch in text], dtype=torch.long)


def loop_counts(ids, vocab_size):
    counts = [[0] * vocab_size for _ in range(vocab_size)]
    seq = ids.tolist()
    for a, b in zip(seq, seq[1:]):
        counts[a][b] += 1
    return torch.tensor(counts, dtype=torch.long)


def as_int_list(result, what):
    if not isinstance(result, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in result):
        raise AssertionError(f"{what} should return a Python list of ints (use .item()), got {type(result).__name__}.")
    return result


def test_zero_smoothing_keeps_unseen_pairs_at_exactly_zero():
    stoi, ids = encode(TEXT)
    V = len(stoi) + 1  # one extra id that never occurs: its row has no counts at all
    counts = loop_counts(ids, V)
    probs = fn("bigram_probs")(counts, smoothing=0.0)
    totals = counts.sum(dim=1, keepdim=True).to(torch.float32)
    expected = counts.to(torch.float32) / totals.clamp_min(1)
    assert_tensor_close(probs, expected, atol=1e-6,
                        name="bigram_probs(counts, smoothing=0.0) (a row with no counts must stay all zeros, not NaN)")
    assert bool((probs[counts == 0] == 0).all()), "with smoothing=0, pairs never seen must have probability exactly 0."


def test_counts_have_shape_v_by_v_even_for_unused_ids_and_short_inputs():
    counts_fn = fn("bigram_counts")
    stoi, ids = encode(TEXT)
    V = len(stoi) + 3  # three ids that never occur
    counts = counts_fn(ids, V)
    assert_tensor_close(counts, loop_counts(ids, V), atol=0, rtol=0, name=f"bigram_counts(ids, {V}) with unused ids")
    assert int(counts.sum()) == len(ids) - 1, f"a text of N = {len(ids)} ids has N - 1 pairs; counts sum to {int(counts.sum())}."
    assert_tensor_close(counts_fn(torch.tensor([2]), 4), torch.zeros(4, 4, dtype=torch.long), atol=0, rtol=0,
                        name="bigram_counts of a single id (no pairs)")
    expected = torch.zeros(4, 4, dtype=torch.long)
    expected[3, 1] = 1
    assert_tensor_close(counts_fn(torch.tensor([3, 1]), 4), expected, atol=0, rtol=0,
                        name="bigram_counts(tensor([3, 1]), 4)")


def test_sample_only_follows_possible_transitions():
    sample = fn("sample")
    probs = torch.tensor([[0.0, 0.7, 0.0, 0.3, 0.0],
                          [0.0, 0.0, 1.0, 0.0, 0.0],
                          [0.5, 0.0, 0.0, 0.0, 0.5],
                          [0.0, 0.2, 0.0, 0.0, 0.8],
                          [1.0, 0.0, 0.0, 0.0, 0.0]])
    out = as_int_list(sample(probs, 2, 300, torch.Generator().manual_seed(5)), "sample")
    assert len(out) == 300 and out[0] == 2, f"expected 300 ids starting with 2, got {len(out)} starting with {out[:1]}."
    assert all(0 <= x < 5 for x in out), "the sample contains ids outside 0..4."
    impossible = [(a, b) for a, b in zip(out, out[1:]) if probs[a, b] == 0]
    assert not impossible, (f"the sample moved from {impossible[0][0]} to {impossible[0][1]}, a transition with "
                            "probability 0: draw each next id from the row of the current id.")
    one = sample(probs, 3, 1, torch.Generator().manual_seed(5))
    assert one == [3], f"sample(probs, start_id=3, length=1, ...) should be [3], got {one!r}."


def test_sample_draws_from_the_given_generator():
    sample = fn("sample")
    probs = torch.full((6, 6), 1 / 6)
    first = as_int_list(sample(probs, 0, 60, torch.Generator().manual_seed(11)), "sample")
    torch.manual_seed(999)  # change the global random state: it must not matter
    torch.rand(10)
    second = sample(probs, 0, 60, torch.Generator().manual_seed(11))
    assert first == second, ("with the same generator seed, sample gave different ids after the global random state "
                             "changed: pass generator=generator to torch.multinomial.")
    other = sample(probs, 0, 60, torch.Generator().manual_seed(12))
    assert other != first, ("generators with different seeds gave the same 60 ids: the draws must come from the "
                            "generator you are given (do not reseed inside sample).")


def test_sample_frequencies_follow_the_probabilities():
    probs = torch.tensor([[0.1, 0.6, 0.3],
                          [0.5, 0.0, 0.5],
                          [0.2, 0.2, 0.6]])
    out = as_int_list(fn("sample")(probs, 0, 4000, torch.Generator().manual_seed(3)), "sample")
    seen = torch.zeros(3, 3)
    for a, b in zip(out, out[1:]):
        seen[a, b] += 1
    visits = seen.sum(dim=1)
    for i in range(3):
        if visits[i] < 100:
            raise AssertionError(f"in 4000 sampled ids, id {i} was left only {int(visits[i])} times, far fewer than "
                                 "probs predicts: draw each next id at random from probs[current] with "
                                 "torch.multinomial (not argmax).")
    freq = seen / visits[:, None]  # (3, 3) observed transition frequencies
    assert_tensor_close(freq, probs, atol=0.05, rtol=0,
                        name="the matrix of transition frequencies in 4000 sampled ids (they should follow probs)")


def test_nll_matches_a_loop_and_uniform_gives_log_v():
    nll = fn("nll")
    stoi, ids = encode(TEXT)
    V = len(stoi)
    counts = loop_counts(ids, V).to(torch.float64) + 1.0
    probs = (counts / counts.sum(dim=1, keepdim=True)).to(torch.float32)
    seq = ids.tolist()
    expected = -sum(math.log(float(probs[a, b])) for a, b in zip(seq, seq[1:])) / (len(seq) - 1)
    result = nll(probs, ids)
    if not isinstance(result, float):
        raise AssertionError(f"nll should return a Python float (use .item()), got {type(result).__name__}.")
    assert abs(result - expected) < 1e-4, f"nll on a {len(seq)}-character text should be {expected:.5f}, got {result:.5f}."
    uniform = nll(torch.full((V, V), 1.0 / V), ids)
    assert abs(uniform - math.log(V)) < 1e-4, (
        f"a uniform model over V = {V} characters has nll = log V = {math.log(V):.5f}; got {uniform:.5f}.")
