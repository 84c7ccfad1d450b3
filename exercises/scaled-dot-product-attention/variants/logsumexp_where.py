"""Scales q first, uses k.mT and torch.where for the masks, and gets the weights as
exp(scores - logsumexp(scores)) instead of calling softmax."""
import torch


def scaled_dot_product_attention(q, k, v, causal=False, mask=None):
    scores = (q * q.shape[-1] ** -0.5) @ k.mT
    t_q, t_k = scores.shape[-2:]
    keep = torch.ones((), dtype=torch.bool, device=q.device)
    if causal:
        keep = torch.arange(t_k, device=q.device)[None, :] <= torch.arange(t_q, device=q.device)[:, None]
    if mask is not None:
        keep = keep & mask.bool()
    scores = torch.where(keep, scores, torch.tensor(float("-inf"), dtype=scores.dtype, device=q.device))
    weights = torch.exp(scores - torch.logsumexp(scores, dim=-1, keepdim=True))
    return weights @ v, weights
