import math

import torch


def sinusoidal_encoding(T: int, d_model: int) -> torch.Tensor:
    """Sinusoidal positional encodings from "Attention Is All You Need".

    Returns a (T, d_model) float32 tensor: PE[pos, 2i] = sin(pos / 10000^(2i/d_model)),
    PE[pos, 2i+1] = cos(pos / 10000^(2i/d_model)).
    """
    # 1. positions as a column (T, 1); frequencies 1 / 10000^(2i/d_model) as a row
    # 2. angles = positions * frequencies (broadcasting)
    # 3. sines into the even columns, cosines into the odd columns
    raise NotImplementedError("sinusoidal_encoding is not written yet: follow steps 1-3.")
