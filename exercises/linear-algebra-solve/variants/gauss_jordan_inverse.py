"""Computes A⁻¹ by Gauss-Jordan elimination (with the same pivoting and tolerance) and returns A⁻¹ @ b; the determinant uses the rule of Sarrus.
"""
import torch


def det_2x2_3x3(A):
    if A.shape == (2, 2):
        return A[0, 0] * A[1, 1] - A[1, 0] * A[0, 1]
    if A.shape != (3, 3):
        raise ValueError("only 2x2 or 3x3")
    plus = sum(A[0, j] * A[1, (j + 1) % 3] * A[2, (j + 2) % 3] for j in range(3))
    minus = sum(A[0, j] * A[1, (j - 1) % 3] * A[2, (j - 2) % 3] for j in range(3))
    return plus - minus


def solve(A, b):
    n = A.shape[0]
    aug = torch.cat([A, torch.eye(n, dtype=A.dtype)], dim=1)  # (n, 2n): A | I, a new tensor
    tol = n * torch.finfo(A.dtype).eps * A.abs().max()
    for c in range(n):
        best = max(range(c, n), key=lambda r: abs(float(aug[r, c])))
        if abs(float(aug[best, c])) <= tol:
            raise ValueError("singular matrix")
        aug[[c, best]] = aug[[best, c]]
        aug[c] = aug[c] / aug[c, c]
        for r in range(n):
            if r != c:
                aug[r] = aug[r] - aug[r, c] * aug[c]
    inverse = aug[:, n:]
    return inverse @ b
