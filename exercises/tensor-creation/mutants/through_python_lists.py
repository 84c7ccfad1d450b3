"""Converts through a Python list (torch.tensor(x.tolist(), dtype=torch.float64)): always lands on the CPU.

Caught by: test_to_float64_stays_on_the_same_device
"""
import torch


def make_grid(h: int, w: int) -> torch.Tensor:
    """(h, w) int64 tensor counting 0, 1, 2, ... row by row."""
    # arange gives int64 by default for integer arguments; reshape fills row by row
    # (row-major order), so row i holds i*w ... i*w + w - 1.
    return torch.arange(h * w).reshape(h, w)  # (h, w)


def identity_like(x: torch.Tensor) -> torch.Tensor:
    """x: (n, m). An (n, m) identity with the dtype and device of x."""
    n, m = x.shape
    # Factory functions make float32 CPU tensors unless told otherwise.
    return torch.eye(n, m, dtype=x.dtype, device=x.device)  # (n, m)


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """labels: (N,) int64. Returns (N, num_classes) float32; ValueError for labels out of range."""
    if labels.numel() > 0:  # min()/max() of an empty tensor is an error
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise ValueError(f"labels must be in 0..{num_classes - 1} for num_classes={num_classes}, "
                             f"but found {bad}.")
    n = labels.shape[0]
    out = torch.zeros(n, num_classes, dtype=torch.float32, device=labels.device)  # (N, C)
    # Advanced indexing: pairs (row i, column labels[i]) for every i at once.
    out[torch.arange(n, device=labels.device), labels] = 1.0
    return out


def normalise_columns(x: torch.Tensor) -> torch.Tensor:
    """x: (N, D) float. Each column to mean 0, std 1 (population std); constant columns to 0."""
    mean = x.mean(dim=0, keepdim=True)                 # (1, D) broadcasts against (N, D)
    std = x.std(dim=0, correction=0, keepdim=True)     # (1, D) population std
    # A constant column is all zeros after centring; dividing it by 1 keeps it at 0 (no 0/0 = NaN).
    std = torch.where(std > 0, std, torch.ones_like(std))
    return (x - mean) / std                            # (N, D), same dtype as x


def to_float64_on_same_device(x: torch.Tensor) -> torch.Tensor:
    """Same values as x, dtype float64, same device."""
    # .to(dtype) converts in place on whatever device x lives on.
    return torch.tensor(x.tolist(), dtype=torch.float64)
