"""matmul_loops builds rows with a comprehension of (A[i] * B[:, j]).sum() and stacks them; batched_matmul checks broadcasting by hand and multiplies by broadcasting and summing (no @).
"""
import torch


def matmul_loops(A, B):
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"cannot multiply {list(A.shape)} by {list(B.shape)}")
    rows = [torch.stack([(A[i] * B[:, j]).sum() for j in range(B.shape[1])]) if B.shape[1] else A.new_zeros(0)
            for i in range(A.shape[0])]
    return torch.stack(rows).to(A.dtype)


def batched_matmul(A, B):
    if A.ndim < 2 or B.ndim < 2 or A.shape[-1] != B.shape[-2]:
        raise ValueError(f"cannot multiply {tuple(A.shape)} and {tuple(B.shape)}")
    a, b = list(A.shape[:-2]), list(B.shape[:-2])
    width = max(len(a), len(b))
    a, b = [1] * (width - len(a)) + a, [1] * (width - len(b)) + b
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"batch dims of {tuple(A.shape)} and {tuple(B.shape)} do not broadcast")
    return (A.unsqueeze(-1) * B.unsqueeze(-3)).sum(-2)
