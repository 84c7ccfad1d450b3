"""Builds the grid from two broadcast aranges, the identity and the one-hot matrix from comparisons with arange, normalises with an explicit variance and converts with .to(dtype=...).
"""
import torch


def make_grid(h, w):
    return torch.arange(h)[:, None] * w + torch.arange(w)[None, :]


def identity_like(x):
    rows = torch.arange(x.shape[0], device=x.device)[:, None]
    cols = torch.arange(x.shape[1], device=x.device)[None, :]
    return (rows == cols).to(x.dtype)


def one_hot(labels, num_classes):
    if ((labels < 0) | (labels >= num_classes)).any():
        raise ValueError(f"every label must satisfy 0 <= label < {num_classes}")
    return (labels[:, None] == torch.arange(num_classes, device=labels.device)).float()


def normalise_columns(x):
    centred = x - x.mean(0)
    var = (centred ** 2).mean(0)
    safe = torch.where(var == 0, torch.ones_like(var), var)
    return centred / safe.sqrt()


def to_float64_on_same_device(x):
    return x.to(dtype=torch.float64, device=x.device)
