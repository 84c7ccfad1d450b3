"""Breaks the rule: returns torch.softmax(x, dim) (the numbers are right).

Caught by: test_does_not_call_torch_softmax
"""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return torch.softmax(x, dim=dim)
