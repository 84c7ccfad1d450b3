"""select_rows indexes the wrong dimension (index_select on dim 1): columns instead of rows.

Caught by: test_select_rows_picks_rows_in_the_given_order
"""
import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """x: (B, T, C) -> (B, n_heads, T, C // n_heads); ValueError if C % n_heads != 0."""
    B, T, C = x.shape
    if C % n_heads != 0:
        raise ValueError(f"cannot split C={C} channels into n_heads={n_heads} equal heads: "
                         "C must be divisible by n_heads.")
    hs = C // n_heads
    # reshape (not view) so that a non-contiguous input works too.
    x = x.reshape(B, T, n_heads, hs)   # (B, T, nh, hs): channel c -> head c // hs
    return x.transpose(1, 2)           # (B, nh, T, hs), a non-contiguous view


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """x: (B, n_heads, T, hs) -> (B, T, n_heads * hs)."""
    B, nh, T, hs = x.shape
    x = x.transpose(1, 2)              # (B, T, nh, hs), not contiguous
    # .view would fail here: nh and hs are no longer next to each other in memory.
    # reshape copies when it has to.
    return x.reshape(B, T, nh * hs)    # (B, T, C)


def select_rows(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """x: (N, D), idx: (K,) int64 -> (K, D)."""
    return x.index_select(1, idx)                      # (K, D); repeated rows get summed gradients


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """x: (B, T), mask: (B, T) bool -> (B,) mean over the True entries; 0 for rows with none."""
    # where (not x * mask): NaN * 0 is NaN, but where simply never reads the padding.
    kept = torch.where(mask, x, torch.zeros_like(x))       # (B, T)
    counts = mask.sum(dim=-1).to(x.dtype)                  # (B,) valid entries per row
    return kept.sum(dim=-1) / counts.clamp_min(1)          # (B,); empty rows: 0 / 1 = 0


def last_valid(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x: (B, T, D), lengths: (B,) int64 in 1..T -> (B, D)."""
    rows = torch.arange(x.shape[0], device=x.device)      # (B,) 0, 1, ..., B-1
    # Two index tensors of shape (B,) pick the pairs (b, lengths[b] - 1).
    return x[rows, lengths - 1]                            # (B, D)
