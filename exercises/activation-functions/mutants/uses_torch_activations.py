"""Breaks the rule: calls torch.sigmoid, torch.tanh, torch.relu and F.gelu instead of writing the
formulas (the numbers are right).

Caught by: test_does_not_call_pytorch_activation_functions
"""
import math

import torch
import torch.nn.functional as F


def sigmoid(x):
    return torch.sigmoid(x)


def sigmoid_grad(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


def tanh(x):
    return torch.tanh(x)


def tanh_grad(x):
    return 1 - torch.tanh(x) ** 2


def relu(x):
    return torch.relu(x)


def relu_grad(x):
    return (x > 0).to(x.dtype)


def gelu(x, approximate="none"):
    return F.gelu(x, approximate=approximate)


def gelu_grad(x):
    return 0.5 * (1 + torch.erf(x / math.sqrt(2))) + x * torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
