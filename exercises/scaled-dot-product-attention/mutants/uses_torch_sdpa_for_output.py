"""Breaks the rule: computes the weights by hand but the output with F.scaled_dot_product_attention
(the numbers are right).

Caught by: test_does_not_call_pytorch_attention
"""
import math

import torch
import torch.nn.functional as F


def scaled_dot_product_attention(q, k, v, causal=False, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    allowed = torch.ones(scores.shape[-2:], dtype=torch.bool, device=q.device)
    if causal:
        allowed = allowed.tril()
    if mask is not None:
        allowed = allowed & mask.bool()
    weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed), weights
