"""Other valid routes: sigmoid via exp(-softplus) with a log1p, tanh as 2·sigmoid(2x) − 1, ReLU with
clamp_min and a multiplied mask, GELU's Φ through erfc, and gelu_grad's pdf written as exp(-x²/2 − log√(2π))."""
import math

import torch


def sigmoid(x):
    # sigmoid(x) = exp(-log(1 + exp(-x))); log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))
    return torch.exp(-(torch.clamp_min(-x, 0) + torch.log1p(torch.exp(-x.abs()))))


def sigmoid_grad(x):
    return sigmoid(x) * sigmoid(-x)


def tanh(x):
    return 2 * sigmoid(2 * x) - 1


def tanh_grad(x):
    return 4 * sigmoid_grad(2 * x)


def relu(x):
    return x.clamp_min(0)


def relu_grad(x):
    return torch.ones_like(x) * (x > 0)


def _phi_cdf(x):
    return 0.5 * torch.erfc(-x / math.sqrt(2))


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(approximate)
    return x * _phi_cdf(x)


def gelu_grad(x):
    return _phi_cdf(x) + x * torch.exp(-0.5 * x * x - 0.5 * math.log(2 * math.pi))
