import torch


def matmul_loops(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """A @ B for 2-D A (n, k) and B (k, m), written with Python loops.

    Raises:
        ValueError: naming both shapes, if an input is not 2-D or the inner sizes differ.
    """
    n, k = A.shape
    _, m = B.shape
    C = torch.zeros(n, m, dtype=A.dtype)  # (n, m)
    # TODO: check the shapes, then fill C[i, j] with the dot product of row i of A and column j of B.
    return C


def batched_matmul(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """A @ B for (..., n, k) and (..., k, m) with broadcast batch dimensions.

    Raises:
        ValueError: naming both shapes, if an input has fewer than 2 dims, the inner sizes
            differ, or the batch dimensions cannot broadcast.
    """
    raise NotImplementedError("check the shapes (raise ValueError), then you may use A @ B")
