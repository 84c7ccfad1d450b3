import torch


def make_grid(h: int, w: int) -> torch.Tensor:
    """(h, w) int64 tensor counting 0, 1, 2, ... row by row."""
    raise NotImplementedError("make_grid: try torch.arange, then reshape")


def identity_like(x: torch.Tensor) -> torch.Tensor:
    """x: (n, m). An (n, m) identity with the dtype and device of x."""
    raise NotImplementedError("identity_like: look at torch.eye and its dtype/device arguments")


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """labels: (N,) int64. Returns (N, num_classes) float32; ValueError for labels out of range."""
    raise NotImplementedError("one_hot: start from torch.zeros and write the 1.0 entries")


def normalise_columns(x: torch.Tensor) -> torch.Tensor:
    """x: (N, D) float. Each column to mean 0, std 1 (population std); constant columns to 0."""
    raise NotImplementedError("normalise_columns: mean and std along dim=0")


def to_float64_on_same_device(x: torch.Tensor) -> torch.Tensor:
    """Same values as x, dtype float64, same device."""
    raise NotImplementedError("to_float64_on_same_device")
