"""Variance by hand in float64 (sum of squared deviations / (n - 1)), the log-density as
-log(sigma * sqrt(2 pi)) - square(z) / 2, and the Bernoulli likelihood with torch.where.
"""
import math

import torch


def sample_stats(dist: torch.distributions.Distribution, n: int, generator_seed: int) -> tuple[float, float]:
    """Mean and unbiased variance of ``n`` samples of ``dist``, drawn after seeding with ``generator_seed``."""
    torch.manual_seed(generator_seed)  # the same seed gives the same samples
    samples = dist.sample((n,))        # (n,) for a distribution over scalars
    s = samples.double()
    m = s.sum() / n
    return float(m), float(((s - m) ** 2).sum() / (n - 1))


def log_prob_normal(x: torch.Tensor, mu, sigma) -> torch.Tensor:
    """log N(x; mu, sigma), written from the formula (no torch.distributions).

    Raises:
        ValueError: if any sigma is <= 0.
    """
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    if torch.any(sigma <= 0):
        raise ValueError("sigma must be > 0")
    mu = torch.as_tensor(mu, dtype=x.dtype)
    return -torch.log(sigma * math.sqrt(2 * math.pi)) - torch.square((x - mu) / sigma) / 2


def bernoulli_nll(p, xs: torch.Tensor) -> torch.Tensor:
    """Total negative log-likelihood of 0/1 observations ``xs`` under Bernoulli(p), as a 0-dim tensor."""
    p = torch.as_tensor(p, dtype=xs.dtype)
    # xlogy(a, b) = a * log(b), but exactly 0 where a == 0: 0 * log 0 counts as 0.
    p = p.expand_as(xs)
    per = torch.where(xs == 1, torch.log(p), torch.log1p(-p))
    return -per.sum()
