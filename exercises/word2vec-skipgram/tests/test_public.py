"""Public tests for skip-gram with negative sampling: run by *Run* and shown to the learner."""
import math
import random
from collections import Counter

import torch
from torch import nn

from course_harness import artifacts, assert_tensor_close, get_function

SIGNATURES = {
    "skipgram_pairs": "skipgram_pairs(ids, window: int) -> torch.Tensor",
    "sample_negatives": "sample_negatives(counts: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor",
    "SkipGramNS": "class SkipGramNS(nn.Module) with __init__(vocab_size, dim) and loss(center, context, negatives)",
    "train": "train(corpus_ids: list[list[int]], vocab_size: int, ...) -> tuple[SkipGramNS, list[float]]",
}

# The synthetic corpus: every sentence talks about ONE group, mixing its words with filler words.
# Words of a group share contexts, so skip-gram should give them similar vectors.
GROUPS = {
    "animals": ["cat", "dog", "horse", "cow", "sheep"],
    "colours": ["red", "green", "blue", "yellow", "purple"],
    "food": ["bread", "cheese", "apple", "rice", "soup"],
    "weather": ["rain", "snow", "wind", "storm", "fog"],
}
FILLERS = ["the", "a", "and", "of", "with", "is", "very", "some", "we", "saw"]
WORDS = FILLERS + [w for group in GROUPS.values() for w in group]
STOI = {w: i for i, w in enumerate(WORDS)}
_CACHE = {}


def fn(name):
    return get_function(name, SIGNATURES[name])


def make_corpus(n_sentences=1500, seed=0):
    """Sentences of 6-10 words: about half from one randomly chosen group, the rest fillers."""
    rng = random.Random(seed)
    groups = list(GROUPS.values())
    corpus = []
    for _ in range(n_sentences):
        group = rng.choice(groups)
        words = [rng.choice(group) if rng.random() < 0.5 else rng.choice(FILLERS) for _ in range(rng.randint(6, 10))]
        corpus.append([STOI[w] for w in words])
    return corpus


def oracle_pairs(ids, window):
    """Every (center, context) pair with a plain double loop."""
    pairs = []
    for i, center in enumerate(ids):
        for j in range(max(0, i - window), min(len(ids), i + window + 1)):
            if j != i:
                pairs.append((center, ids[j]))
    return pairs


def as_pair_list(result, call):
    if not isinstance(result, torch.Tensor) or result.dim() != 2 or result.shape[1] != 2:
        raise AssertionError(f"{call} should return a tensor of shape (P, 2), got "
                             f"{tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__}.")
    if result.dtype != torch.long:
        raise AssertionError(f"{call} should be a LongTensor (int64 ids), got {result.dtype}.")
    return [tuple(row) for row in result.tolist()]


def trained():
    if "trained" not in _CACHE:
        result = fn("train")(make_corpus(), len(WORDS))
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError(f"train should return (model, losses), got {type(result).__name__}.")
        model, losses = result
        if not isinstance(model, nn.Module) or not isinstance(getattr(model, "in_embed", None), nn.Embedding):
            raise AssertionError("train should return the SkipGramNS model (with an nn.Embedding `in_embed`) first.")
        if not isinstance(losses, (list, tuple)) or not losses:
            raise AssertionError(f"train should return a non-empty list of losses second, got {losses!r:.60}.")
        _CACHE["trained"] = (model, [float(v) for v in losses])
    return _CACHE["trained"]


def test_pairs_match_a_loop_over_every_window():
    pairs = fn("skipgram_pairs")
    sentences = [[5, 1, 4, 1, 5, 9, 2], [3, 3, 3], [7, 8], list(range(20))]
    for ids in sentences:
        for window in (1, 2, 3):
            call = f"skipgram_pairs({ids}, window={window})"
            mine = as_pair_list(pairs(ids, window), call)
            expected = oracle_pairs(ids, window)
            missing = Counter(expected) - Counter(mine)
            extra = Counter(mine) - Counter(expected)
            assert not missing and not extra, (
                f"{call} gave {len(mine)} pairs, expected {len(expected)} (order does not matter). "
                f"Missing: {sorted(missing)[:4]}; unexpected: {sorted(extra)[:4]}. Each position is a center; its "
                "contexts are the words at distance 1..window on both sides, inside the sentence.")


def test_loss_matches_a_hand_computation():
    model = fn("SkipGramNS")(4, 2)
    for name in ("in_embed", "out_embed"):
        if not isinstance(getattr(model, name, None), nn.Embedding):
            raise AssertionError(f"SkipGramNS(4, 2) should have an nn.Embedding(4, 2) called `{name}`.")
    v = [[1.0, 0.0], [0.5, -1.0], [0.0, 2.0], [-1.0, 1.0]]   # center vectors
    u = [[0.2, 0.3], [-0.5, 1.0], [1.5, 0.5], [0.0, -0.4]]   # context vectors
    with torch.no_grad():
        model.in_embed.weight.copy_(torch.tensor(v))
        model.out_embed.weight.copy_(torch.tensor(u))
    center, context = torch.tensor([0, 2]), torch.tensor([1, 3])
    negatives = torch.tensor([[2, 3], [0, 1]])  # (B, K) = (2, 2)

    def dot(a, b):
        return sum(x * y for x, y in zip(a, b))

    def log_sigmoid(x):
        return -math.log1p(math.exp(-x))

    per_pair = []
    for c, o, negs in zip(center.tolist(), context.tolist(), negatives.tolist()):
        per_pair.append(-log_sigmoid(dot(u[o], v[c])) - sum(log_sigmoid(-dot(u[k], v[c])) for k in negs))
    expected = torch.tensor(sum(per_pair) / len(per_pair))
    result = model.loss(center, context, negatives)
    assert_tensor_close(result, expected, atol=1e-5,
                        name="loss(center=[0, 2], context=[1, 3], negatives=[[2, 3], [0, 1]]) (mean over the batch)")


def test_negative_samples_follow_unigram_to_the_three_quarters():
    counts = torch.tensor([100, 10, 1, 0, 50, 5, 300])
    k = 200_000
    draws = fn("sample_negatives")(counts, k, torch.Generator().manual_seed(0))
    if not isinstance(draws, torch.Tensor) or tuple(draws.shape) != (k,) or draws.dtype != torch.long:
        raise AssertionError(f"sample_negatives(counts, {k}, generator) should be a LongTensor of shape ({k},), got "
                             f"{tuple(draws.shape) if isinstance(draws, torch.Tensor) else type(draws).__name__}.")
    assert int((draws == 3).sum()) == 0, "word 3 has count 0 and must never be drawn."
    weights = counts.double() ** 0.75
    expected = weights / weights.sum()
    observed = torch.bincount(draws, minlength=len(counts)).double() / k
    assert_tensor_close(observed, expected, atol=0.005, rtol=0,
                        name="the frequency of each id among 200 000 draws (expected: count**0.75, normalised)")


def test_training_puts_words_of_a_group_close_together():
    model, losses = trained()
    board = artifacts()
    board.line("training loss", losses, x_label="step", y_label="negative-sampling loss")
    assert all(math.isfinite(v) for v in losses), "the loss became NaN or inf: lower the learning rate."

    group_words = [w for group in GROUPS.values() for w in group]
    labels = torch.arange(len(GROUPS)).repeat_interleave(5)        # (20,) group of each word
    vectors = model.in_embed.weight.detach()[[STOI[w] for w in group_words]].double()  # (20, D)
    unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)
    cosine = unit @ unit.T                                           # (20, 20)
    board.heatmap("cosine similarity of the group words", cosine, x_labels=group_words, y_labels=group_words)
    assert bool(torch.isfinite(vectors).all()), "some word vectors are NaN or inf after training."
    board.text("t-SNE of the group words (2-D map)", tsne_report(vectors, group_words))

    k = max(1, len(losses) // 10)
    first, last = sum(losses[:k]) / k, sum(losses[-k:]) / k
    assert last < 0.8 * first, (f"the loss only went from {first:.3f} to {last:.3f} (mean of the first and last "
                                f"{k} steps); it should fall by at least 20 %. Check the optimiser and learning rate.")
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~torch.eye(len(group_words), dtype=torch.bool)
    within = float(cosine[same & off_diagonal].mean())
    between = float(cosine[~same].mean())
    assert within > between + 0.3, (
        f"mean cosine similarity within a group is {within:.2f} and between groups {between:.2f}; words that share "
        "contexts should be clearly closer (by at least 0.3). Check that the loss pulls u_context·v_center up and "
        "u_negative·v_center down, and that you return in_embed as the word vectors. If the loss falls but the "
        "groups stay apart, the vectors may start too large: nn.Embedding starts at N(0, 1), while word2vec starts "
        "in_embed at U(-0.5/dim, 0.5/dim) and out_embed at zero.")
    nearest = cosine.masked_fill(~off_diagonal, -2.0).argmax(dim=1)
    hits = int((labels[nearest] == labels).sum())
    assert hits >= 18, f"only {hits} of 20 group words have a nearest neighbour from their own group; expected 18+."


def tsne_report(vectors, words):
    """Coordinates from sklearn's t-SNE and a rough text scatter plot of them."""
    from sklearn.manifold import TSNE

    xy = TSNE(n_components=2, perplexity=5, random_state=0, init="pca").fit_transform(vectors.numpy())
    lines = ["t-SNE (perplexity 5, random_state 0) of the 20 group words. Distances between clusters on a t-SNE "
             "map mean little; that points of one group sit together is what counts.", ""]
    lines += [f"{w:>8s}: ({x:7.2f}, {y:7.2f})" for w, (x, y) in zip(words, xy.tolist())]
    # A rough scatter plot: one letter per word, the first letter of its group's name.
    marks = {w: name[0].upper() for name, group in GROUPS.items() for w in group}
    width, height = 60, 16
    grid = [[" "] * width for _ in range(height)]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = [max(h - l, 1e-9) for l, h in zip(lo, hi)]
    for w, (x, y) in zip(words, xy.tolist()):
        grid[int((hi[1] - y) / span[1] * (height - 1))][int((x - lo[0]) / span[0] * (width - 1))] = marks[w]
    legend = ", ".join(f"{name[0].upper()} = {name}" for name in GROUPS)
    lines += ["", legend, "+" + "-" * width + "+"] + ["|" + "".join(r) + "|" for r in grid] + ["+" + "-" * width + "+"]
    return "\n".join(lines)
