"""batched_matmul compares A.shape[-1] with B.shape[0] (right for a 2-D B only): a batch of B matrices is refused.

Caught by: test_batched_matmul_multiplies_each_pair_in_a_batch
"""
import torch


def matmul_loops(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """A @ B for 2-D A (n, k) and B (k, m), written with Python loops.

    Raises:
        ValueError: naming both shapes, if an input is not 2-D or the inner sizes differ.
    """
    if A.dim() != 2 or B.dim() != 2:
        raise ValueError(f"matmul_loops needs two 2-D matrices, got A of shape {tuple(A.shape)} "
                         f"and B of shape {tuple(B.shape)}")
    n, k = A.shape
    k2, m = B.shape
    if k != k2:
        raise ValueError(f"cannot multiply A of shape {tuple(A.shape)} by B of shape {tuple(B.shape)}: "
                         f"inner sizes {k} and {k2} differ")
    C = torch.zeros(n, m, dtype=A.dtype)  # (n, m)
    for i in range(n):          # row of A
        for j in range(m):      # column of B
            total = A.new_zeros(())  # a 0-dim accumulator of A's dtype
            for p in range(k):  # walk along row i of A and column j of B together
                total = total + A[i, p] * B[p, j]
            C[i, j] = total
    return C


def batched_matmul(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """A @ B for (..., n, k) and (..., k, m) with broadcast batch dimensions.

    Raises:
        ValueError: naming both shapes, if an input has fewer than 2 dims, the inner sizes
            differ, or the batch dimensions cannot broadcast.
    """
    shapes = f"A of shape {tuple(A.shape)} by B of shape {tuple(B.shape)}"
    if A.dim() < 2 or B.dim() < 2:
        raise ValueError(f"cannot multiply {shapes}: both need at least 2 dimensions (..., rows, columns)")
    if A.shape[-1] != B.shape[0]:
        raise ValueError(f"cannot multiply {shapes}: inner sizes {A.shape[-1]} and {B.shape[-2]} differ")
    try:
        # Batch dims are lined up from the right; sizes must be equal or 1 (missing counts as 1).
        torch.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except RuntimeError:
        raise ValueError(f"cannot multiply {shapes}: batch dimensions {tuple(A.shape[:-2])} and "
                         f"{tuple(B.shape[:-2])} do not broadcast") from None
    return A @ B  # (*batch, n, m)
