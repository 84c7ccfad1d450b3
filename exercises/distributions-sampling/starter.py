import math

import torch


def sample_stats(dist: torch.distributions.Distribution, n: int, generator_seed: int) -> tuple[float, float]:
    """Mean and unbiased variance of ``n`` samples of ``dist``, drawn after seeding with ``generator_seed``."""
    raise NotImplementedError("torch.manual_seed, then dist.sample((n,)), then mean and var as floats")


def log_prob_normal(x: torch.Tensor, mu, sigma) -> torch.Tensor:
    """log N(x; mu, sigma), written from the formula (no torch.distributions).

    Raises:
        ValueError: if any sigma is <= 0.
    """
    # Forgets the normalising terms -log(sigma) - 0.5 * log(2 * pi), and never checks sigma.
    return -0.5 * ((x - mu) / sigma) ** 2


def bernoulli_nll(p, xs: torch.Tensor) -> torch.Tensor:
    """Total negative log-likelihood of 0/1 observations ``xs`` under Bernoulli(p), as a 0-dim tensor."""
    raise NotImplementedError("sum x log p + (1 - x) log(1 - p) over the data, and negate")
