"""Hidden tests for sampling and likelihoods: edge cases, run only on *Submit*."""
import math

import torch
from torch.distributions import Bernoulli, Laplace, Normal

from course_harness import assert_tensor_close, get_function

STATS = "sample_stats(dist, n: int, generator_seed: int) -> tuple[float, float]"
LOG_PROB = "log_prob_normal(x: torch.Tensor, mu, sigma) -> torch.Tensor"
NLL = "bernoulli_nll(p, xs: torch.Tensor) -> torch.Tensor"


def test_log_prob_normal_broadcasts_mu_and_sigma():
    log_prob_normal = get_function("log_prob_normal", LOG_PROB)
    x = torch.linspace(-1.0, 2.0, 4)                    # (4,)
    mu = torch.tensor([[0.0], [1.0], [-1.0]])           # (3, 1): one mean per row
    sigma = torch.tensor([0.5, 1.0, 2.0, 4.0])          # (4,): one spread per column
    assert_tensor_close(log_prob_normal(x, mu, sigma), Normal(mu, sigma).log_prob(x), atol=1e-6,
                        name="log_prob_normal(x (4,), mu (3, 1), sigma (4,)) (broadcast to (3, 4))")
    assert_tensor_close(log_prob_normal(x, mu, 2.0), Normal(mu, torch.tensor(2.0)).log_prob(x), atol=1e-6,
                        name="log_prob_normal(x (4,), mu (3, 1), sigma=2.0)")


def test_log_prob_normal_in_float64():
    log_prob_normal = get_function("log_prob_normal", LOG_PROB)
    x = torch.randn(10, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 3
    mu, sigma = torch.tensor(0.7, dtype=torch.float64), torch.tensor(1.3, dtype=torch.float64)
    assert_tensor_close(log_prob_normal(x, mu, sigma), Normal(mu, sigma).log_prob(x), atol=1e-12, rtol=1e-12,
                        name="log_prob_normal for float64 x, mu, sigma (keep float64 all the way)")
    assert_tensor_close(log_prob_normal(x, 0.7, 1.3), Normal(mu, sigma).log_prob(x), atol=1e-12, rtol=1e-12,
                        name="log_prob_normal for float64 x with Python float mu=0.7, sigma=1.3")


def test_log_prob_normal_rejects_sigma_that_is_not_positive():
    log_prob_normal = get_function("log_prob_normal", LOG_PROB)
    x = torch.zeros(3)
    for sigma in (0.0, -1.0, torch.tensor([1.0, 0.0, 2.0])):
        try:
            log_prob_normal(x, 0.0, sigma)
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"log_prob_normal(x, 0, sigma={sigma}) raised {type(exc).__name__}: {exc}; "
                                 "it should raise ValueError when any sigma is <= 0.") from exc
        raise AssertionError(f"log_prob_normal(x, 0, sigma={sigma}) returned a value; a standard deviation must be "
                             "positive, so it should raise ValueError (check (sigma <= 0).any()).")


def test_bernoulli_nll_with_certain_probabilities_and_per_observation_p():
    bernoulli_nll = get_function("bernoulli_nll", NLL)
    ones = torch.ones(5)
    assert_tensor_close(bernoulli_nll(1.0, ones), torch.tensor(0.0), atol=1e-6,
                        name="bernoulli_nll(p=1, all ones) (certain and right: 0·log 0 counts as 0, so NLL = 0)")
    assert_tensor_close(bernoulli_nll(0.0, torch.zeros(4)), torch.tensor(0.0), atol=1e-6,
                        name="bernoulli_nll(p=0, all zeros)")
    got = bernoulli_nll(1.0, torch.tensor([1.0, 0.0, 1.0]))
    assert isinstance(got, torch.Tensor) and math.isinf(float(got)) and float(got) > 0, (
        f"bernoulli_nll(p=1, [1, 0, 1]) should be +inf (a 0 was observed where it was impossible), got {got}.")
    p = torch.tensor([0.1, 0.8, 0.5, 0.35])  # one probability per observation
    xs = torch.tensor([0.0, 1.0, 1.0, 0.0])
    assert_tensor_close(bernoulli_nll(p, xs), -Bernoulli(probs=p).log_prob(xs).sum(), atol=1e-5,
                        name="bernoulli_nll with one probability per observation")


def test_sample_stats_for_discrete_and_heavy_tailed_distributions():
    sample_stats = get_function("sample_stats", STATS)
    n = 20000
    for name, dist, mean, var, kurtosis in (("Bernoulli(0.3)", Bernoulli(torch.tensor(0.3)), 0.3, 0.21, 1 / 0.21 - 3),
                                            ("Laplace(0, 2)", Laplace(0.0, 2.0), 0.0, 8.0, 6.0)):
        got_mean, got_var = sample_stats(dist, n, 3)
        assert abs(got_mean - mean) < 5 * math.sqrt(var / n), (
            f"The sample mean of {name} was {got_mean:.4f}; the true mean is {mean}.")
        assert abs(got_var - var) < 5 * var * math.sqrt((kurtosis - 1) / n), (
            f"The sample variance of {name} was {got_var:.4f}; the true variance is {var}.")


def test_sample_stats_returns_the_unbiased_variance_of_the_seeded_draws():
    # With few samples the two variances differ clearly: the unbiased one divides by n - 1, not by n.
    sample_stats = get_function("sample_stats", STATS)
    for dist, n, seed in ((Normal(1.0, 2.0), 5, 11), (Laplace(-3.0, 0.5), 12, 4)):
        torch.manual_seed(seed)
        draws = dist.sample((n,))
        mean, var = sample_stats(dist, n, seed)
        assert math.isclose(mean, float(draws.mean()), rel_tol=1e-5, abs_tol=1e-6), (
            f"sample_stats({dist}, n={n}, seed={seed}) gave mean {mean:.6f}; the {n} samples of dist.sample(({n},)) "
            f"after torch.manual_seed({seed}) have mean {float(draws.mean()):.6f}.")
        biased = float(draws.var(unbiased=False))
        assert math.isclose(var, float(draws.var()), rel_tol=1e-5, abs_tol=1e-6), (
            f"sample_stats({dist}, n={n}, seed={seed}) gave variance {var:.6f}; the unbiased variance of those {n} "
            f"samples (dividing by n - 1) is {float(draws.var()):.6f}"
            + (" (you returned the biased one, dividing by n)." if math.isclose(var, biased, rel_tol=1e-5) else "."))
