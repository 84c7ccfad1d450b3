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
        # TODO: self.weight (ones) and self.bias (zeros) as Parameters, or None without affine
        raise NotImplementedError("create the affine parameters")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("normalise over the last len(self.normalized_shape) dims")


class BatchNorm1d(nn.Module):
    """Normalise each channel over the batch (and length); running statistics for evaluation."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        # TODO: weight/bias Parameters (or None), running_mean/running_var buffers
        raise NotImplementedError("create the parameters and the running-statistics buffers")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, C) or (N, C, L)
        raise NotImplementedError("training: batch statistics + update the running ones; eval: running ones")
