"""Public tests for masked vs causal LM targets: run by *Run* and shown to the learner."""
import torch
import torch.nn.functional as F

from course_harness import assert_tensor_close, get_function

MASK_SIG = ("bert_mask(ids, mask_id, vocab_size, p=0.15, generator=None, special_ids=frozenset()) "
            "-> tuple[torch.Tensor, torch.Tensor]")
CAUSAL_SIG = "causal_lm_targets(ids, pad_id) -> tuple[torch.Tensor, torch.Tensor]"
LOSS_SIG = "lm_loss(logits, labels) -> torch.Tensor"
PAD, CLS, SEP, MASK = 0, 1, 2, 3
SPECIALS = frozenset({PAD, CLS, SEP, MASK})
V = 1000


def corpus():
    """200 'sentences' of 500 ids: [CLS] words... [SEP] then padding; ids 4..999 are ordinary words."""
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(4, V, (200, 500), generator=g)
    lengths = torch.randint(300, 500, (200,), generator=g)
    ids[:, 0] = CLS
    ids[torch.arange(200), lengths - 1] = SEP
    ids[torch.arange(500)[None, :] >= lengths[:, None]] = PAD
    return ids


def masked(ids, p=0.15, seed=11):
    fn = get_function("bert_mask", MASK_SIG)
    g = torch.Generator().manual_seed(seed)
    result = fn(ids, mask_id=MASK, vocab_size=V, p=p, generator=g, special_ids=SPECIALS)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"bert_mask must return a pair (inputs, labels), got {type(result).__name__}.")
    inputs, labels = result
    for name, t in (("inputs", inputs), ("labels", labels)):
        if not isinstance(t, torch.Tensor) or t.shape != ids.shape:
            raise AssertionError(f"bert_mask's {name} should be a tensor of shape {tuple(ids.shape)} like ids, "
                                 f"got {getattr(t, 'shape', type(t).__name__)}.")
    return inputs, labels


def test_bert_mask_follows_the_80_10_10_rule():
    ids = corpus()
    inputs, labels = masked(ids)
    ordinary = ids >= 4
    selected = labels != -100
    frac = selected[ordinary].float().mean().item()
    assert abs(frac - 0.15) < 0.01, (f"{frac:.3f} of the ordinary tokens were selected (labels != -100); with p = 0.15 "
                                     "about 0.15 should be. Select each non-special token with probability p.")
    assert bool((labels[selected] == ids[selected]).all()), "labels must hold the ORIGINAL id at selected positions."
    assert bool((inputs[~selected] == ids[~selected]).all()), ("positions that are not selected (label -100) must "
                                                               "keep their original id in inputs.")
    n = selected.sum().item()
    to_mask = (inputs[selected] == MASK).float().sum().item() / n
    kept = (inputs[selected] == ids[selected]).float().sum().item() / n
    rand = 1 - to_mask - kept
    assert abs(to_mask - 0.8) < 0.02 and abs(rand - 0.1) < 0.02 and abs(kept - 0.1) < 0.02, (
        f"of the selected tokens, {to_mask:.3f} became [MASK], {rand:.3f} a random token and {kept:.3f} stayed the "
        "same; BERT's rule is 0.8 / 0.1 / 0.1 of the SELECTED tokens (not of all tokens).")


def test_special_tokens_are_never_selected_or_changed():
    ids = corpus()
    inputs, labels = masked(ids, p=0.5)
    special = (ids == PAD) | (ids == CLS) | (ids == SEP)
    assert bool((labels[special] == -100).all()), "special tokens ([CLS], [SEP], [PAD]) must never be selected: label -100."
    assert bool((inputs[special] == ids[special]).all()), "special tokens must stay unchanged in inputs."


def test_causal_targets_are_the_inputs_shifted_by_one():
    fn = get_function("causal_lm_targets", CAUSAL_SIG)
    ids = torch.tensor([[11, 12, 13, 14, 15], [21, 22, 23, 0, 0]])
    inputs, targets = fn(ids, pad_id=0)
    assert_tensor_close(inputs, torch.tensor([[11, 12, 13, 14], [21, 22, 23, 0]]), name="causal inputs (ids[:, :-1])")
    assert_tensor_close(targets, torch.tensor([[12, 13, 14, 15], [22, 23, -100, -100]]),
                        name="causal targets (ids[:, 1:] with pad -> -100)")


def test_lm_loss_averages_only_over_kept_positions():
    fn = get_function("lm_loss", LOSS_SIG)
    logits = torch.randn(3, 6, 11)
    labels = torch.randint(0, 11, (3, 6))
    labels[0, 2:] = -100
    labels[2, :4] = -100
    keep = labels != -100
    expected = F.cross_entropy(logits[keep], labels[keep])
    loss = fn(logits, labels)
    assert_tensor_close(loss, expected, atol=1e-6,
                        name="lm_loss (mean cross-entropy over the positions whose label is not -100)")
