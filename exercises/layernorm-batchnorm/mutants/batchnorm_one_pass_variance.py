"""BatchNorm1d computes the batch variance in one pass as E[x²] − E[x]²: fine for small values, wrong
(even negative) for activations around 1e4 in float32.

Caught by: test_large_offsets_do_not_break_the_variance
"""
import torch
from torch import nn


class LayerNorm(nn.Module):
    """Normalise each sample over its trailing `normalized_shape` dims, then scale and shift."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))   # gamma
            self.bias = nn.Parameter(torch.zeros(self.normalized_shape))    # beta
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(-len(self.normalized_shape), 0))  # e.g. (-1,) or (-2, -1)
        mean = x.mean(dim=dims, keepdim=True)                              # (..., 1)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)               # biased: divide by n
        x_hat = (x - mean) / torch.sqrt(var + self.eps)                    # (..., *normalized_shape)
        if self.weight is not None:
            x_hat = x_hat * self.weight + self.bias
        return x_hat


class BatchNorm1d(nn.Module):
    """Normalise each channel over the batch (and length); running statistics for evaluation."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))   # gamma, (C,)
            self.bias = nn.Parameter(torch.zeros(num_features))    # beta, (C,)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        # Buffers: saved in state_dict and moved by .to(), but never trained.
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (N, C): statistics over dim 0; (N, C, L): over dims 0 and 2. `shape` broadcasts (C,) back.
        dims, shape = ((0,), (1, -1)) if x.dim() == 2 else ((0, 2), (1, -1, 1))
        if self.training:
            mean = x.mean(dim=dims)                          # (C,)
            var = (x * x).mean(dim=dims) - mean ** 2
            n = x.numel() // x.shape[1]                      # values per channel
            with torch.no_grad():  # running estimates are bookkeeping, not part of the graph
                m = self.momentum
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * n / (n - 1))  # unbiased estimate
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.weight is not None:
            x_hat = x_hat * self.weight.view(shape) + self.bias.view(shape)
        return x_hat
