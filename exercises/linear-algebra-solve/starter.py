import torch


def det_2x2_3x3(A: torch.Tensor) -> torch.Tensor:
    """Determinant of a 2×2 or 3×3 matrix by cofactor expansion.

    Returns:
        A 0-dim tensor of A's dtype. Raises ValueError for any other shape.
    """
    raise NotImplementedError("write ad - bc for 2×2, and expand along the first row for 3×3")


def solve(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Solve A x = b by Gaussian elimination with partial pivoting.

    Args:
        A: (n, n) matrix.
        b: (n,) or (n, k) right-hand side(s).

    Returns:
        x with the shape and dtype of b. Raises ValueError("... singular ...") if A is singular.
    """
    # Elimination WITHOUT pivoting: it breaks on a zero diagonal entry. Add row swaps,
    # the singular check, and work on clones (this version changes the caller's A and b).
    n = A.shape[0]
    for c in range(n):
        for r in range(c + 1, n):
            factor = A[r, c] / A[c, c]
            A[r] = A[r] - factor * A[c]
            b[r] = b[r] - factor * b[c]
    x = torch.zeros_like(b)
    for r in reversed(range(n)):
        x[r] = (b[r] - A[r, r + 1:] @ x[r + 1:]) / A[r, r]
    return x
