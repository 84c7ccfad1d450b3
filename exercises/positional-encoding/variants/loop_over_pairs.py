"""A Python loop over the frequency pairs (not over every entry), each filling a column or two with a whole
column of positions, built in float64 and converted at the end.
"""
import math

import torch


def sinusoidal_encoding(T: int, d_model: int) -> torch.Tensor:
    """Sinusoidal positional encodings from "Attention Is All You Need".

    Returns a (T, d_model) float32 tensor: sines in even columns, cosines in odd columns.
    """
    pos = torch.arange(T, dtype=torch.float64)
    pe = torch.empty(T, d_model, dtype=torch.float64)
    for two_i in range(0, d_model, 2):
        angle = pos / 10000 ** (two_i / d_model)
        pe[:, two_i] = angle.sin()
        if two_i + 1 < d_model:
            pe[:, two_i + 1] = angle.cos()
    return pe.float()
