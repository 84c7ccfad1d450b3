"""Hidden tests for skip-gram with negative sampling: edge cases, run only on *Submit*."""
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "skipgram_pairs": "skipgram_pairs(ids, window: int) -> torch.Tensor",
    "sample_negatives": "sample_negatives(counts: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor",
    "SkipGramNS": "class SkipGramNS(nn.Module) with __init__(vocab_size, dim) and loss(center, context, negatives)",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def reference_loss(v_table, u_table, center, context, negatives):
    v = v_table[center]                                    # (B, D)
    pos = (u_table[context] * v).sum(-1)                   # (B,)
    neg = (u_table[negatives] * v[:, None, :]).sum(-1)     # (B, K)
    return (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).mean()


def model_with(v_table, u_table):
    V, D = v_table.shape
    model = fn("SkipGramNS")(V, D)
    for name in ("in_embed", "out_embed"):
        table = getattr(model, name, None)
        if not isinstance(table, nn.Embedding) or tuple(table.weight.shape) != (V, D):
            raise AssertionError(f"SkipGramNS({V}, {D}).{name} should be an nn.Embedding({V}, {D}).")
    model = model.to(v_table.dtype)
    with torch.no_grad():
        model.in_embed.weight.copy_(v_table)
        model.out_embed.weight.copy_(u_table)
    return model


def test_short_sentences_and_wide_windows():
    pairs = fn("skipgram_pairs")
    for ids, window, expected_count in (([4], 2, 0), ([], 3, 0), ([1, 2], 5, 2), ([1, 2, 3], 10, 6)):
        result = pairs(ids, window)
        assert isinstance(result, torch.Tensor) and tuple(result.shape) == (expected_count, 2), (
            f"skipgram_pairs({ids}, {window}) should have shape ({expected_count}, 2), got "
            f"{tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__}. A window wider "
            "than the sentence just stops at its ends; a sentence of one word has no pairs (shape (0, 2)).")
    as_tensor = pairs(torch.tensor([3, 1, 4, 1, 5]), 2)
    as_list = pairs([3, 1, 4, 1, 5], 2)
    assert sorted(map(tuple, as_tensor.tolist())) == sorted(map(tuple, as_list.tolist())), (
        "skipgram_pairs should give the same pairs for a 1-D LongTensor as for the equal list of ints.")


def test_loss_stays_finite_for_very_large_scores():
    # Scores of ±400: sigmoid(-400) is 0 in float32, so log(sigmoid(x)) gives -inf. Use logsigmoid.
    v = torch.tensor([[20.0, 0.0], [0.0, 20.0]])
    u = torch.tensor([[-20.0, 0.0], [0.0, 20.0]])
    model = model_with(v, u)
    center, context, negatives = torch.tensor([0, 1]), torch.tensor([0, 0]), torch.tensor([[1, 1], [1, 0]])
    expected = reference_loss(v, u, center, context, negatives)   # about 400
    result = model.loss(center, context, negatives)
    assert_tensor_close(result, expected, atol=1e-3, rtol=1e-5,
                        name="the loss when the dot products are ±400 (use F.logsigmoid, not log(sigmoid))")


def test_loss_gradients_match_the_formula():
    g = torch.Generator().manual_seed(3)
    v = torch.randn(7, 5, generator=g, dtype=torch.float64)
    u = torch.randn(7, 5, generator=g, dtype=torch.float64)
    center = torch.tensor([0, 3, 3, 6])
    context = torch.tensor([1, 2, 2, 0])
    negatives = torch.randint(0, 7, (4, 3), generator=g)
    model = model_with(v, u)
    loss = model.loss(center, context, negatives)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise AssertionError(f"loss should return a scalar tensor (the mean over the batch), got {loss!r:.80}.")
    loss.backward()
    v_ref, u_ref = v.clone().requires_grad_(True), u.clone().requires_grad_(True)
    reference_loss(v_ref, u_ref, center, context, negatives).backward()
    assert_tensor_close(model.in_embed.weight.grad, v_ref.grad, atol=1e-10, rtol=1e-8,
                        name="the gradient of the loss w.r.t. in_embed.weight")
    assert_tensor_close(model.out_embed.weight.grad, u_ref.grad, atol=1e-10, rtol=1e-8,
                        name="the gradient of the loss w.r.t. out_embed.weight")


def test_negative_sampling_is_reproducible_and_accepts_float_counts():
    sample = fn("sample_negatives")
    counts = torch.tensor([3.0, 0.0, 12.5, 7.0])
    a = sample(counts, 500, torch.Generator().manual_seed(11))
    b = sample(counts, 500, torch.Generator().manual_seed(11))
    c = sample(counts, 500, torch.Generator().manual_seed(12))
    assert torch.equal(a, b), "two calls with generators seeded alike must return the same ids: draw with the generator."
    assert not torch.equal(a, c), "different generator seeds should give different draws."
    assert int((a == 1).sum()) == 0, "a word whose count is 0 must never be drawn."
    assert a.dtype == torch.long and int(a.min()) >= 0 and int(a.max()) < 4, "draws must be int64 ids in 0..V-1."


def test_batch_of_one_with_many_negatives():
    g = torch.Generator().manual_seed(5)
    v, u = torch.randn(10, 4, generator=g), torch.randn(10, 4, generator=g)
    model = model_with(v, u)
    center, context = torch.tensor([2]), torch.tensor([7])
    negatives = torch.randint(0, 10, (1, 15), generator=g)
    assert_tensor_close(model.loss(center, context, negatives), reference_loss(v, u, center, context, negatives),
                        atol=1e-5, name="loss for B = 1 and K = 15 negatives (sum over negatives, mean over batch)")


def test_negative_draws_are_independent_of_each_other():
    # Every draw must be an independent sample: a neighbour in the returned tensor says nothing about the next id.
    # (Spreading the draws evenly over the distribution, e.g. one per slot of width 1/k, gets the proportions
    # right but returns them in order.) Compare how often id a is followed by id b with p(a)·p(b).
    counts = torch.tensor([40.0, 5.0, 0.0, 20.0, 80.0])
    k = 100_000
    draws = fn("sample_negatives")(counts, k, torch.Generator().manual_seed(21))
    if not isinstance(draws, torch.Tensor) or tuple(draws.shape) != (k,):
        raise AssertionError(f"sample_negatives(counts, {k}, generator) should have shape ({k},).")
    V = len(counts)
    p = counts.double() ** 0.75
    p = p / p.sum()
    pair_ids = draws[:-1].long() * V + draws[1:].long()
    joint = torch.bincount(pair_ids, minlength=V * V).double().view(V, V) / (k - 1)
    assert_tensor_close(joint, torch.outer(p, p), atol=0.01, rtol=0,
                        name="how often id a is directly followed by id b among 100 000 draws (expected p(a)·p(b): "
                             "every draw independent, e.g. torch.multinomial(..., replacement=True))")
