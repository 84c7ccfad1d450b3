"""Fills disallowed scores with a finite -1e4 (a habit from float16 code) instead of -inf: a query whose
allowed scores are all below -1e4 then attends to the masked keys.

Caught by: test_large_scores_and_masks_stay_exact
"""
import math

import torch


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    causal: bool = False,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention of queries ``q`` over keys ``k`` and values ``v``.

    Args:
        q: queries, shape (..., T_q, d_k).
        k: keys, shape (..., T_k, d_k).
        v: values, shape (..., T_k, d_v).
        causal: if True, query i may attend only to keys j <= i.
        mask: optional bool tensor broadcastable to (..., T_q, T_k); True = may attend.

    Returns:
        (output, weights) with shapes (..., T_q, d_v) and (..., T_q, T_k).
    """
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T_q, T_k)

    allowed = None
    if causal:
        t_q, t_k = scores.shape[-2:]
        allowed = torch.ones(t_q, t_k, dtype=torch.bool, device=q.device).tril()  # (T_q, T_k), j <= i
    if mask is not None:
        mask = mask.to(dtype=torch.bool, device=q.device)
        allowed = mask if allowed is None else allowed & mask  # broadcasts, e.g. to (B, 1, T_q, T_k)
    if allowed is not None:
        # exp(-inf) = 0: disallowed pairs get weight exactly zero.
        scores = scores.masked_fill(~allowed, -1e4)

    weights = torch.softmax(scores, dim=-1)  # (..., T_q, T_k), rows sum to one
    return weights @ v, weights              # (..., T_q, d_v), (..., T_q, T_k)
