"""Flattens the leading dimensions, uses torch.matmul with weight.t() plus an addition, and restores the leading shape.
"""
import torch
from torch import nn


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        k = in_features ** -0.5
        self.weight = nn.Parameter((torch.rand(out_features, in_features) * 2 - 1) * k)
        self.bias = nn.Parameter((torch.rand(out_features) * 2 - 1) * k) if bias else None

    def forward(self, x):
        lead = x.shape[:-1]
        flat = x.reshape(-1, x.shape[-1])
        out = torch.matmul(flat, self.weight.t())
        if self.bias is not None:
            out = out + self.bias.unsqueeze(0)
        return out.reshape(*lead, self.weight.shape[0])
