"""torch.bernoulli draws: select with p, then [MASK] with 0.8, then random with 0.5 of the rest; cross-entropy via
log_softmax, gather and a masked mean; targets with torch.where.
"""
import torch
import torch.nn.functional as F

IGNORE = -100  # the label F.cross_entropy skips by default


def bert_mask(
    ids: torch.Tensor,
    mask_id: int,
    vocab_size: int,
    p: float = 0.15,
    generator: torch.Generator | None = None,
    special_ids: frozenset[int] | set[int] = frozenset(),
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masked-LM corruption with the 80/10/10 rule.

    ids: (B, T) token ids. Returns (inputs, labels), both (B, T): labels hold the original id at
    the selected positions and -100 everywhere else.
    """
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in special_ids:
        special |= ids == s                                            # specials are never selected
    selected = torch.bernoulli(torch.full(ids.shape, p), generator=generator).bool() & ~special

    labels = ids.masked_fill(~selected, IGNORE)                        # predict only the selected tokens

    to_mask = selected & torch.bernoulli(torch.full(ids.shape, 0.8), generator=generator).bool()
    to_random = selected & ~to_mask & torch.bernoulli(torch.full(ids.shape, 0.5), generator=generator).bool()
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)

    inputs = ids.clone()
    inputs[to_mask] = mask_id
    inputs[to_random] = random_tokens[to_random]
    return inputs, labels


def causal_lm_targets(ids: torch.Tensor, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token prediction: inputs ids[:, :-1], targets ids[:, 1:] with padding set to -100."""
    inputs = ids[:, :-1]                                    # (B, T-1)
    nxt = ids[:, 1:]
    targets = torch.where(nxt == pad_id, torch.full_like(nxt, IGNORE), nxt)
    return inputs, targets


def lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the positions whose label is not -100. logits (B, T, V), labels (B, T)."""
    keep = labels != IGNORE
    logp = F.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)   # (B, T)
    return -(picked * keep).sum() / keep.sum()
