"""Computes exp(x − logsumexp(x)) with lse = max + log(sum(exp(x − max))): stable against overflow, but
x − lse subtracts two nearly equal large numbers, so for scores around ±1000 (float32 spacing 6e-5) or
3e38 the small log term is lost and the probabilities come out wrong (0.5 and 0.5 become 1 and 1).

Caught by: test_huge_positive_and_negative_scores_give_no_nan, test_minus_inf_entries_get_probability_exactly_zero
"""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    m = x.amax(dim=dim, keepdim=True)
    lse = m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    return torch.exp(x - lse)
