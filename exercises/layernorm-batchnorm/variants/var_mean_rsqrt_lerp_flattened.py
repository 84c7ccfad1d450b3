"""Different but equivalent formulas: LayerNorm flattens the normalised dims and uses torch.var_mean
(correction=0) and rsqrt; BatchNorm1d moves the channels last and flattens to (n, C), and updates the
running statistics with torch.lerp (lerp(a, b, m) = a + m · (b − a))."""
import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True):
        super().__init__()
        shape = torch.Size([normalized_shape] if isinstance(normalized_shape, int) else normalized_shape)
        self.shape, self.eps = shape, eps
        self.weight = nn.Parameter(torch.ones(shape)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(shape)) if elementwise_affine else None

    def forward(self, x):
        flat = x.reshape(*x.shape[:x.dim() - len(self.shape)], -1)
        var, mean = torch.var_mean(flat, dim=-1, keepdim=True, correction=0)
        y = ((flat - mean) * torch.rsqrt(var + self.eps)).reshape(x.shape)
        return y if self.weight is None else torch.addcmul(self.bias, y, self.weight)


class BatchNorm1d(nn.Module):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        moved = x.movedim(1, -1)                      # (N, C) or (N, L, C)
        flat = moved.reshape(-1, moved.shape[-1])     # (n, C)
        if self.training:
            var, mean = torch.var_mean(flat, dim=0, correction=0)
            with torch.no_grad():
                n = flat.shape[0]
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * (n / (n - 1)), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        y = (moved - mean) * torch.rsqrt(var + self.eps)
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y.movedim(-1, 1)
