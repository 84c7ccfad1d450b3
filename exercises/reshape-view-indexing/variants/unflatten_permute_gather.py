"""Uses unflatten/permute/flatten for the heads, index_select for the rows, masked_fill for the mean and gather for the last step.
"""
import torch


def split_heads(x, n_heads):
    C = x.shape[-1]
    if C % n_heads:
        raise ValueError(f"{C} channels do not split into {n_heads} heads")
    return x.unflatten(-1, (n_heads, C // n_heads)).permute(0, 2, 1, 3)


def merge_heads(x):
    return x.permute(0, 2, 1, 3).flatten(start_dim=2)


def select_rows(x, idx):
    return torch.index_select(x, 0, idx)


def masked_mean(x, mask):
    total = x.masked_fill(~mask, 0).sum(-1)
    return total / mask.sum(-1).clamp(min=1).to(x.dtype)


def last_valid(x, lengths):
    index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, x.shape[2])
    return x.gather(1, index).squeeze(1)
