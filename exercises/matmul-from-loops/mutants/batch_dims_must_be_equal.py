"""batched_matmul demands identical batch dimensions instead of broadcasting them: (6, 3, 4) @ (4, 5) and size-1 batches are refused.

Caught by: test_batched_matmul_broadcasts_a_single_matrix_over_a_batch, test_batched_matmul_stretches_size_one_batch_dimensions
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
    if A.shape[-1] != B.shape[-2]:
        raise ValueError(f"cannot multiply {shapes}: inner sizes {A.shape[-1]} and {B.shape[-2]} differ")
    if A.shape[:-2] != B.shape[:-2]:
        raise ValueError(f"cannot multiply {shapes}: batch dimensions {tuple(A.shape[:-2])} and "
                         f"{tuple(B.shape[:-2])} do not broadcast") from None
    return A @ B  # (*batch, n, m)
