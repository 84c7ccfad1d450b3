"""Sines in the first half of the columns and cosines in the second half (torch.cat) instead of interleaved.

Caught by: test_matches_the_formula_entry_by_entry, test_first_pair_has_frequency_one
"""
import math

import torch


def sinusoidal_encoding(T: int, d_model: int) -> torch.Tensor:
    """Sinusoidal positional encodings from "Attention Is All You Need".

    Returns a (T, d_model) float32 tensor: sines in even columns, cosines in odd columns.
    """
    pos = torch.arange(T, dtype=torch.float32)[:, None]                # (T, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)           # (ceil(d/2),): 0, 2, 4, ...
    freq = torch.exp(-math.log(10000.0) * two_i / d_model)[None, :]    # (1, ceil(d/2)) = 1 / 10000^(2i/d)
    angles = pos * freq                                                # (T, ceil(d/2))
    pe = torch.cat([torch.sin(angles), torch.cos(angles[:, : d_model // 2])], dim=1)
    return pe
