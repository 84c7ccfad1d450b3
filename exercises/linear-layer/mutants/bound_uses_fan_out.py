"""Uses out_features in the bound (1/sqrt(out_features)) instead of in_features.

Caught by: test_weights_are_drawn_uniformly_within_one_over_sqrt_fan_in
"""
import math

import torch
from torch import nn


class Linear(nn.Module):
    """y = x @ W.T + b, a drop-in replacement for nn.Linear."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()  # must come first: it sets up the registries for parameters
        self.in_features = in_features
        self.out_features = out_features
        # Assigning an nn.Parameter to an attribute registers it under that name.
        self.weight = nn.Parameter(torch.empty(out_features, in_features))  # (out, in)
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))             # (out,)
        else:
            self.register_parameter("bias", None)  # keeps `self.bias` defined, but not a parameter
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # U(-k, k) with k = 1/sqrt(fan_in): the bound nn.Linear's kaiming_uniform_(a=sqrt(5)) works out to.
        # It keeps the output variance roughly independent of the number of inputs.
        bound = 1.0 / math.sqrt(self.out_features)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x @ self.weight.T  # (..., in) @ (in, out) -> (..., out); @ broadcasts leading dims
        if self.bias is not None:
            y = y + self.bias  # (out,) broadcasts over the leading dims
        return y

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
