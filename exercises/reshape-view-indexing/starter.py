import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """x: (B, T, C) -> (B, n_heads, T, C // n_heads); ValueError if C % n_heads != 0."""
    raise NotImplementedError("split_heads: reshape the last dimension, then transpose")


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """x: (B, n_heads, T, hs) -> (B, T, n_heads * hs)."""
    B, nh, T, hs = x.shape
    # Looks right, but press Run: what does .view do after a transpose?
    return x.transpose(1, 2).view(B, T, nh * hs)


def select_rows(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """x: (N, D), idx: (K,) int64 -> (K, D)."""
    raise NotImplementedError("select_rows")


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """x: (B, T), mask: (B, T) bool -> (B,) mean over the True entries; 0 for rows with none."""
    raise NotImplementedError("masked_mean")


def last_valid(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x: (B, T, D), lengths: (B,) int64 in 1..T -> (B, D)."""
    raise NotImplementedError("last_valid")
