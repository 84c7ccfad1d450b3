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
    the selected positions and -100 everywhere else. All randomness must come from ``generator``.
    """
    raise NotImplementedError("bert_mask is not written yet.")


def causal_lm_targets(ids: torch.Tensor, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token prediction: inputs ids[:, :-1], targets ids[:, 1:] with padding set to -100."""
    raise NotImplementedError("causal_lm_targets is not written yet.")


def lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the positions whose label is not -100. logits (B, T, V), labels (B, T)."""
    # Naive version: averages over every position, including the ignored ones. Fix it.
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), labels.clamp(min=0).reshape(-1))
