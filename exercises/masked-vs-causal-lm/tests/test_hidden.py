"""Hidden tests for masked vs causal LM targets: seeding, in-place edits, random-token spread, gradients."""
import torch
import torch.nn.functional as F

from course_harness import assert_tensor_close, get_function

MASK_SIG = ("bert_mask(ids, mask_id, vocab_size, p=0.15, generator=None, special_ids=frozenset()) "
            "-> tuple[torch.Tensor, torch.Tensor]")
MASK = 3


def masked(ids, p=0.15, seed=11, vocab_size=1000, special_ids=frozenset({0, 1, 2, 3})):
    fn = get_function("bert_mask", MASK_SIG)
    g = torch.Generator().manual_seed(seed)
    result = fn(ids, mask_id=MASK, vocab_size=vocab_size, p=p, generator=g, special_ids=special_ids)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"bert_mask must return a pair (inputs, labels), got {type(result).__name__}.")
    return result


def test_same_seed_gives_the_same_result_and_global_rng_is_untouched():
    ids = torch.randint(4, 1000, (20, 50))
    state = torch.get_rng_state()
    a = masked(ids, seed=5)
    assert torch.equal(torch.get_rng_state(), state), (
        "bert_mask used the global random generator: pass generator=generator to every torch.rand / torch.randint.")
    b = masked(ids, seed=5)
    c = masked(ids, seed=6)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]), "the same seeded generator must give the same result."
    assert not torch.equal(a[1], c[1]), "different seeds should select different positions."


def test_ids_are_not_modified_and_dtype_is_kept():
    ids = torch.randint(4, 1000, (10, 40))
    before = ids.clone()
    inputs, labels = masked(ids, p=0.5)
    assert torch.equal(ids, before), "bert_mask changed `ids` in place; work on a clone()."
    assert inputs.dtype == torch.int64 and labels.dtype == torch.int64, (
        f"inputs and labels should be int64 like ids, got {inputs.dtype} and {labels.dtype}.")


def test_random_replacements_cover_the_vocabulary():
    V = 50
    ids = torch.full((400, 250), 10)                  # every token is id 10
    inputs, labels = masked(ids, p=0.5, vocab_size=V, special_ids=frozenset())
    selected = labels != -100
    replaced = inputs[selected & (inputs != MASK) & (inputs != 10)]
    assert replaced.numel() > 0, "no selected token was replaced by a random token."
    assert int(replaced.min()) >= 0 and int(replaced.max()) < V, "random tokens must lie in 0 .. vocab_size - 1."
    distinct = replaced.unique().numel()
    assert distinct >= V - 3, (f"random replacements used only {distinct} distinct ids out of {V}: draw them uniformly "
                               "from 0 .. vocab_size - 1.")


def test_selection_rate_follows_p():
    ids = torch.randint(4, 1000, (200, 500))
    _, labels = masked(ids, p=0.3)
    frac = (labels != -100).float().mean().item()
    assert abs(frac - 0.3) < 0.01, f"with p = 0.3, {frac:.3f} of the tokens were selected."


def test_choices_are_independent_per_token():
    # Only ordinary words: each position is selected with probability p on its own, and a selected one becomes
    # [MASK] with probability 0.8 on its own, so no pattern may be shared by rows, columns or neighbours.
    p, (B, T) = 0.5, (400, 250)
    ids = torch.randint(4, 1000, (B, T))
    inputs, labels = masked(ids, p=p)
    for what, hit in (("selected (label != -100)", (labels != -100).float()),
                      ("replaced by [MASK]", (inputs == MASK).float())):
        rate = hit.mean().item()
        for where, a, b in (("at the same position in two neighbouring rows", hit[:-1], hit[1:]),
                            ("at two neighbouring positions of a row", hit[:, :-1], hit[:, 1:])):
            both = (a * b).mean().item()
            assert abs(both - rate * rate) < 0.01, (
                f"{rate:.3f} of the tokens are {what}, so two independent tokens should both be in {rate * rate:.3f} "
                f"of the cases, but {where} both are in {both:.3f}. Draw a separate random number for every token: "
                "torch.rand(ids.shape, generator=generator), not one per position shared by the batch.")
    counts = (labels != -100).sum(dim=1).double()           # selected tokens per row: Binomial(T, p)
    spread = counts.var().item() / (T * p * (1 - p))
    assert 0.7 < spread < 1.3, (
        f"the number of selected tokens per row has variance {counts.var().item():.1f}; selecting each token "
        f"independently with probability p gives about T·p·(1-p) = {T * p * (1 - p):.1f}. Choosing a fixed number "
        "of tokens per row is not the same as selecting each token with probability p.")


def test_causal_targets_with_padding_inside_and_single_step():
    fn = get_function("causal_lm_targets", "causal_lm_targets(ids, pad_id)")
    ids = torch.tensor([[7, 9, 9, 7, 9], [9, 7, 9, 9, 9]])   # here 9 is the pad id
    inputs, targets = fn(ids, pad_id=9)
    assert_tensor_close(inputs, ids[:, :-1], name="causal inputs (pads stay in the inputs)")
    assert_tensor_close(targets, torch.tensor([[-100, -100, 7, -100], [7, -100, -100, -100]]),
                        name="causal targets with pad id 9")
    inputs, targets = fn(torch.tensor([[4, 5]]), pad_id=0)
    assert_tensor_close(targets, torch.tensor([[5]]), name="targets for a length-2 sequence")


def test_lm_loss_gradient_is_zero_at_ignored_positions():
    fn = get_function("lm_loss", "lm_loss(logits, labels)")
    logits = torch.randn(2, 5, 7, requires_grad=True)
    labels = torch.tensor([[1, -100, 3, -100, -100], [-100, -100, -100, 6, 0]])
    loss = fn(logits, labels)
    keep = labels != -100
    assert_tensor_close(loss, F.cross_entropy(logits[keep], labels[keep]), atol=1e-6, name="lm_loss")
    loss.backward()
    assert logits.grad is not None, "no gradient reached the logits."
    assert float(logits.grad[~keep].abs().max()) == 0.0, "positions labelled -100 must not contribute to the gradient."


def test_lm_loss_is_exact_for_large_logits():
    fn = get_function("lm_loss", "lm_loss(logits, labels)")
    logits = torch.randn(2, 6, 9) * 30 + 500          # large scores: exp(500) overflows even in float64
    labels = torch.randint(0, 9, (2, 6))
    labels[1, 3:] = -100
    keep = labels != -100
    assert_tensor_close(fn(logits, labels), F.cross_entropy(logits[keep], labels[keep]), atol=1e-4, rtol=1e-5,
                        name="lm_loss for logits around 500 (use F.cross_entropy, or subtract the row maximum "
                             "before exp: log-sum-exp)")
