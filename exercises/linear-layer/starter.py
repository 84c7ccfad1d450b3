import math

import torch
from torch import nn


class Linear(nn.Module):
    """y = x @ W.T + b, a drop-in replacement for nn.Linear."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        # TODO: create self.weight (out_features, in_features) and self.bias (out_features,)
        # as nn.Parameters, drawn from U(-k, k) with k = 1 / sqrt(in_features).
        # When bias=False, self.bias must be None.
        raise NotImplementedError("create the weight and bias parameters")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (..., in_features) -> (..., out_features)
        raise NotImplementedError("compute x @ W.T + b")
