"""Inverts A by Gauss-Jordan elimination, then multiplies b @ A⁻¹ (row vector on the left): that solves Aᵀx = b, right only for symmetric A.

Caught by: test_solve_matches_torch_linalg_solve, test_solve_swaps_rows_when_the_diagonal_has_a_zero
"""
import torch


def det_2x2_3x3(A: torch.Tensor) -> torch.Tensor:
    """Determinant of a 2×2 or 3×3 matrix by cofactor expansion.

    Returns:
        A 0-dim tensor of A's dtype. Raises ValueError for any other shape.
    """
    if tuple(A.shape) == (2, 2):
        return A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    if tuple(A.shape) == (3, 3):
        # Expand along the first row: each entry times the 2×2 determinant left when
        # its row and column are deleted, with alternating signs + − +.
        (a, b, c), (d, e, f), (g, h, i) = A[0], A[1], A[2]
        return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    raise ValueError(f"det_2x2_3x3 takes a 2×2 or 3×3 matrix, got shape {tuple(A.shape)}")


def solve(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Solve A x = b by Gaussian elimination with partial pivoting.

    Args:
        A: (n, n) matrix.
        b: (n,) or (n, k) right-hand side(s).

    Returns:
        x with the shape and dtype of b. Raises ValueError("... singular ...") if A is singular.
    """
    if A.dim() != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix (n, n), got shape {tuple(A.shape)}")
    n = A.shape[0]
    if b.dim() not in (1, 2) or b.shape[0] != n:
        raise ValueError(f"b must have shape ({n},) or ({n}, k) to match A {tuple(A.shape)}, got {tuple(b.shape)}")
    M = A.clone()                                           # (n, n) worked on in place; A stays intact
    R = torch.eye(n, dtype=A.dtype)                         # (n, n): solve for A⁻¹ column by column
    # Pivots this small are rounding noise relative to the entries of A.
    tol = n * torch.finfo(A.dtype).eps * A.abs().max()

    for c in range(n):
        # Partial pivoting: bring the largest remaining entry of column c to the diagonal.
        p = c + int(M[c:, c].abs().argmax())
        if M[p, c].abs() <= tol:
            raise ValueError("matrix is singular: no unique solution "
                             f"(largest pivot candidate in column {c} is {float(M[p, c]):.3g})")
        if p != c:
            M[[c, p]] = M[[p, c]]
            R[[c, p]] = R[[p, c]]
        # Eliminate column c below the diagonal, in all rows at once.
        factors = M[c + 1:, c] / M[c, c]                    # (n-c-1,)
        M[c + 1:] -= factors[:, None] * M[c]                # (n-c-1, n)
        R[c + 1:] -= factors[:, None] * R[c]                # (n-c-1, k)

    # Back substitution on the upper-triangular system, from the last row up.
    X = torch.zeros_like(R)                                 # (n, k)
    for r in reversed(range(n)):
        X[r] = (R[r] - M[r, r + 1:] @ X[r + 1:]) / M[r, r]
    return b @ X                                            # x = b A⁻¹
