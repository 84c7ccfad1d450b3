"""Labels only the positions whose input was changed: the selected tokens that were left unchanged get -100.

Caught by: test_bert_mask_follows_the_80_10_10_rule
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
    selected = (torch.rand(ids.shape, generator=generator) < p) & ~special   # (B, T)

    labels = ids.masked_fill(~selected, IGNORE)                        # predict only the selected tokens

    roll = torch.rand(ids.shape, generator=generator)                  # one draw decides 80/10/10
    to_mask = selected & (roll < 0.8)
    to_random = selected & (roll >= 0.8) & (roll < 0.9)                # the last 10 % stay unchanged
    random_tokens = torch.randint(vocab_size, ids.shape, generator=generator, dtype=ids.dtype)

    inputs = ids.clone()
    inputs[to_mask] = mask_id
    inputs[to_random] = random_tokens[to_random]
    labels = labels.masked_fill(inputs == ids, IGNORE)
    return inputs, labels


def causal_lm_targets(ids: torch.Tensor, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token prediction: inputs ids[:, :-1], targets ids[:, 1:] with padding set to -100."""
    inputs = ids[:, :-1]                                    # (B, T-1)
    targets = ids[:, 1:].masked_fill(ids[:, 1:] == pad_id, IGNORE)  # (B, T-1): token t+1 is the label at t
    return inputs, targets


def lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the positions whose label is not -100. logits (B, T, V), labels (B, T)."""
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=IGNORE)
