"""Public tests for sampling and likelihoods: run by *Run* and shown to the learner."""
import ast
import inspect
import math
import textwrap

import pytest
import torch
from torch.distributions import Bernoulli, Exponential, Normal, Uniform

from course_harness import artifacts, assert_tensor_close, get_function

STATS = "sample_stats(dist, n: int, generator_seed: int) -> tuple[float, float]"
LOG_PROB = "log_prob_normal(x: torch.Tensor, mu, sigma) -> torch.Tensor"
NLL = "bernoulli_nll(p, xs: torch.Tensor) -> torch.Tensor"


def stats(dist, n, seed):
    """Call the learner's sample_stats and check that it returns two Python numbers."""
    result = get_function("sample_stats", STATS)(dist, n, seed)
    if not isinstance(result, (tuple, list)) or len(result) != 2 or not all(isinstance(v, float) for v in result):
        raise AssertionError("sample_stats should return a pair of Python floats (mean, variance), e.g. "
                             f"(float(s.mean()), float(s.var())); it returned {result!r:.80}.")
    return result


def test_sample_stats_are_close_to_the_true_mean_and_variance():
    n = 20000
    # (name, distribution, true mean, true variance, fourth central moment / variance², for the tolerance)
    cases = [("Normal(2, 3)", Normal(2.0, 3.0), 2.0, 9.0, 3.0),
             ("Uniform(-1, 3)", Uniform(-1.0, 3.0), 1.0, 16 / 12, 1.8),
             ("Exponential(rate=0.5)", Exponential(0.5), 2.0, 4.0, 9.0)]
    for name, dist, mean, var, kurtosis in cases:
        got_mean, got_var = stats(dist, n, 0)
        # Five standard errors: sampling noise stays far inside these bounds.
        mean_tol = 5 * math.sqrt(var / n)
        var_tol = 5 * var * math.sqrt((kurtosis - 1) / n)
        assert abs(got_mean - mean) < mean_tol, (
            f"The sample mean of {name} with n={n} was {got_mean:.4f}; the true mean is {mean:.4f}, so it "
            f"should be within {mean_tol:.3f}. Did you average all n samples?")
        assert abs(got_var - var) < var_tol, (
            f"The sample variance of {name} with n={n} was {got_var:.4f}; the true variance is {var:.4f}, so it "
            f"should be within {var_tol:.3f}. The variance is the mean squared distance from the mean "
            "(Tensor.var()), not the standard deviation.")


def test_sample_stats_is_reproducible_with_its_seed():
    dist = Normal(0.0, 1.0)
    first, again, other = stats(dist, 1000, 7), stats(dist, 1000, 7), stats(dist, 1000, 8)
    assert first == again, f"Two calls with seed 7 gave {first} and {again}: call torch.manual_seed(seed) first."
    assert first != other, "Seeds 7 and 8 gave the same result: seed with generator_seed, not a fixed number."
    torch.manual_seed(7)
    expected_mean = float(dist.sample((1000,)).mean())
    assert abs(first[0] - expected_mean) < 1e-5, (
        f"With seed 7 the mean of dist.sample((1000,)) is {expected_mean:.6f}, but sample_stats gave {first[0]:.6f}. "
        "Seed with torch.manual_seed(generator_seed), then draw all n samples at once with dist.sample((n,)).")


def test_running_mean_approaches_the_true_mean():
    ns = sorted({int(round(10 ** (k / 4))) for k in range(4, 18)} | {20000})  # 10 ... 20000
    means = [stats(Exponential(0.5), n, 0)[0] for n in ns]
    artifacts().line("sample mean of Exponential(rate=0.5) (true mean 2.0)", means,
                     x=[math.log10(n) for n in ns], x_label="log10(number of samples)", y_label="sample mean")
    assert abs(means[-1] - 2.0) < 5 * 2.0 / math.sqrt(ns[-1]), (
        f"With {ns[-1]} samples the mean should be close to 2.0, got {means[-1]:.4f}.")


def test_log_prob_normal_does_not_use_torch_distributions(monkeypatch):
    """The rule of this exercise: log_prob_normal is written from the formula, not with torch.distributions."""
    log_prob_normal = get_function("log_prob_normal", LOG_PROB)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(log_prob_normal)))
    except (OSError, TypeError, SyntaxError):
        tree = ast.Module(body=[], type_ignores=[])
    banned = {"distributions", "Normal", "log_prob"}
    found = sorted({(n.lineno, n.attr) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in banned}
                   | {(n.lineno, n.id) for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in banned})
    if found:
        where = ", ".join(f"line {line} of the function ({what})" for line, what in found)
        pytest.fail("Write log_prob_normal from the formula; torch.distributions is only the answer key. "
                    f"Found: {where}.")
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(1)
        raise AssertionError("log_prob_normal used torch.distributions while it ran.")

    for cls in (torch.distributions.Normal, torch.distributions.Distribution):
        monkeypatch.setattr(cls, "log_prob", forbidden)
    monkeypatch.setattr(torch.distributions.Normal, "__init__", forbidden)
    try:
        log_prob_normal(torch.linspace(-2.0, 2.0, 5), 0.5, 1.5)
    except Exception:  # noqa: BLE001 - only the use of torch.distributions matters here; values are checked elsewhere
        pass
    monkeypatch.undo()
    assert not calls, ("log_prob_normal used torch.distributions while it ran; write the formula "
                       "-0.5 * ((x - mu) / sigma) ** 2 - log(sigma) - 0.5 * log(2π) yourself.")


def test_log_prob_normal_matches_torch_distributions_without_using_it(monkeypatch):
    log_prob_normal = get_function("log_prob_normal", LOG_PROB)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(log_prob_normal)))
    except (OSError, TypeError, SyntaxError):
        tree = ast.Module(body=[], type_ignores=[])
    banned = {"distributions", "Normal", "log_prob"}
    found = sorted({(n.lineno, n.attr) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in banned}
                   | {(n.lineno, n.id) for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in banned})
    if found:
        where = ", ".join(f"line {line} of the function ({what})" for line, what in found)
        pytest.fail("Write log_prob_normal from the formula; torch.distributions is only the answer key. "
                    f"Found: {where}.")

    x = torch.linspace(-4.0, 6.0, 11)  # (11,)
    params = ((0.0, 1.0), (1.5, 0.5), (-2.0, 3.0), (0.5, 2.0))
    expected = [Normal(mu, sigma).log_prob(x) for mu, sigma in params]  # the answer key, computed first

    def forbidden(*args, **kwargs):
        raise AssertionError("log_prob_normal used torch.distributions while it ran; write the formula "
                             "-0.5 * ((x - mu) / sigma) ** 2 - log(sigma) - 0.5 * log(2π) yourself.")

    monkeypatch.setattr(Normal, "log_prob", forbidden)
    monkeypatch.setattr(Normal, "__init__", forbidden)
    got = [log_prob_normal(x, mu, sigma) for mu, sigma in params]
    monkeypatch.undo()
    for (mu, sigma), mine, want in zip(params, got, expected):
        assert_tensor_close(mine, want, atol=1e-6, name=f"log_prob_normal(x, mu={mu}, sigma={sigma})")


def test_bernoulli_nll_matches_torch_distributions():
    bernoulli_nll = get_function("bernoulli_nll", NLL)
    xs = (torch.rand(200, generator=torch.Generator().manual_seed(0)) < 0.3).float()  # (200,) zeros and ones
    for p in (0.3, 0.5, 0.9):
        expected = -Bernoulli(probs=torch.tensor(p)).log_prob(xs).sum()
        assert_tensor_close(bernoulli_nll(p, xs), expected, atol=1e-3, rtol=1e-5,
                            name=f"bernoulli_nll({p}, xs) for 200 observations "
                                 "(the total over all of them, not the mean)")
