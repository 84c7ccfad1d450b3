"""Plain Python loops over single entries for elimination and back substitution, solving one right-hand side at a time.
"""
import torch


def det_2x2_3x3(A):
    if A.dim() != 2 or A.shape[0] != A.shape[1] or A.shape[0] not in (2, 3):
        raise ValueError(f"bad shape {tuple(A.shape)}")
    if A.shape[0] == 2:
        return A[0][0] * A[1][1] - A[0][1] * A[1][0]
    total = A[0, 0] * 0
    for j in range(3):
        cols = [k for k in range(3) if k != j]
        minor = A[1, cols[0]] * A[2, cols[1]] - A[1, cols[1]] * A[2, cols[0]]
        total = total + (-1) ** j * A[0, j] * minor
    return total


def _solve_one(A, b):
    n = A.shape[0]
    M = [[float(A[i, j]) for j in range(n)] for i in range(n)]
    v = [float(b[i]) for i in range(n)]
    tol = n * torch.finfo(A.dtype).eps * float(A.abs().max())
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        if abs(M[p][c]) <= tol:
            raise ValueError("the matrix is singular")
        M[c], M[p] = M[p], M[c]
        v[c], v[p] = v[p], v[c]
        for r in range(c + 1, n):
            f = M[r][c] / M[c][c]
            for j in range(c, n):
                M[r][j] -= f * M[c][j]
            v[r] -= f * v[c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        s = v[r] - sum(M[r][j] * x[j] for j in range(r + 1, n))
        x[r] = s / M[r][r]
    return torch.tensor(x, dtype=A.dtype)


def solve(A, b):
    if b.dim() == 1:
        return _solve_one(A, b).to(b.dtype)
    return torch.stack([_solve_one(A, b[:, k]) for k in range(b.shape[1])], dim=1).to(b.dtype)
