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
    # 1. scores: (..., T_q, T_k), scaled by 1 / sqrt(d_k)
    # 2. disallowed pairs (causal and/or mask) -> -inf
    # 3. weights: softmax over the keys
    # 4. output: weights @ v
    raise NotImplementedError("scaled_dot_product_attention is not written yet: follow steps 1-4 in the starter.")
