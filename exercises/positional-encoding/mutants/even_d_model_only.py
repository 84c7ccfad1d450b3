"""Written for even d_model only: d_model // 2 frequencies, so the sine columns of an odd d_model do not fit.

Caught by: test_odd_d_model_ends_with_a_sine_column
"""
import math

import torch


def sinusoidal_encoding(T: int, d_model: int) -> torch.Tensor:
    """Sinusoidal positional encodings from "Attention Is All You Need".

    Returns a (T, d_model) float32 tensor: sines in even columns, cosines in odd columns.
    """
    pos = torch.arange(T, dtype=torch.float32)[:, None]                # (T, 1)
    two_i = torch.arange(d_model // 2, dtype=torch.float32) * 2           # (ceil(d/2),): 0, 2, 4, ...
    freq = torch.exp(-math.log(10000.0) * two_i / d_model)[None, :]    # (1, ceil(d/2)) = 1 / 10000^(2i/d)
    angles = pos * freq                                                # (T, ceil(d/2))
    pe = torch.zeros(T, d_model, dtype=torch.float32)
    pe[:, 0::2] = torch.sin(angles)                                    # even dims: ceil(d/2) columns
    pe[:, 1::2] = torch.cos(angles)                 # odd dims: floor(d/2) columns
    return pe
