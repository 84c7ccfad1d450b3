"""Computes x log p + (1 - x) log(1 - p) with torch.log: 0 * log 0 = 0 * (-inf) = NaN when p is 0 or 1.

Caught by: test_bernoulli_nll_with_certain_probabilities_and_per_observation_p
"""
import math

import torch


def sample_stats(dist: torch.distributions.Distribution, n: int, generator_seed: int) -> tuple[float, float]:
    """Mean and unbiased variance of ``n`` samples of ``dist``, drawn after seeding with ``generator_seed``."""
    torch.manual_seed(generator_seed)  # the same seed gives the same samples
    samples = dist.sample((n,))        # (n,) for a distribution over scalars
    return float(samples.mean()), float(samples.var())  # var() divides by n - 1


def log_prob_normal(x: torch.Tensor, mu, sigma) -> torch.Tensor:
    """log N(x; mu, sigma), written from the formula (no torch.distributions).

    Raises:
        ValueError: if any sigma is <= 0.
    """
    mu = torch.as_tensor(mu, dtype=x.dtype)        # floats or tensors; broadcasting does the rest
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    if bool((sigma <= 0).any()):
        raise ValueError(f"sigma must be positive, got {sigma.tolist()}")
    z = (x - mu) / sigma                            # distance from the mean in standard deviations
    return -0.5 * z ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)


def bernoulli_nll(p, xs: torch.Tensor) -> torch.Tensor:
    """Total negative log-likelihood of 0/1 observations ``xs`` under Bernoulli(p), as a 0-dim tensor."""
    p = torch.as_tensor(p, dtype=xs.dtype)
    # xlogy(a, b) = a * log(b), but exactly 0 where a == 0: 0 * log 0 counts as 0.
    log_likelihood = xs * torch.log(p) + (1 - xs) * torch.log(1 - p)  # (N,) one term per observation
    return -log_likelihood.sum()
