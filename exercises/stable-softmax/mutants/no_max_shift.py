"""The textbook formula without subtracting the maximum: exp overflows for scores near 100.

Caught by: test_large_scores_do_not_overflow, test_huge_positive_and_negative_scores_give_no_nan
"""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)
