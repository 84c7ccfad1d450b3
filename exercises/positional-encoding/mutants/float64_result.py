"""Built in float64 (numpy-style math) and returned without converting to float32.

Caught by: test_shape_and_dtype
"""
import math

import torch


def sinusoidal_encoding(T: int, d_model: int) -> torch.Tensor:
    """Sinusoidal positional encodings from "Attention Is All You Need".

    Returns a (T, d_model) float32 tensor: sines in even columns, cosines in odd columns.
    """
    pos = torch.arange(T, dtype=torch.float64)[:, None]                # (T, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)           # (ceil(d/2),): 0, 2, 4, ...
    freq = torch.exp(-math.log(10000.0) * two_i / d_model)[None, :]    # (1, ceil(d/2)) = 1 / 10000^(2i/d)
    angles = pos * freq                                                # (T, ceil(d/2))
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)                                    # even dims: ceil(d/2) columns
    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])                 # odd dims: floor(d/2) columns
    return pe
