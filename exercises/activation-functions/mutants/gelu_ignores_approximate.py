"""gelu accepts `approximate` but always returns the exact erf form (off by up to ~5e-4 from the tanh form).

Caught by: test_gelu_tanh_approximation_matches_pytorch
"""
import math

import torch

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-x)), stable for any input."""
    # exp(-|x|) is in (0, 1], so nothing overflows. For x < 0 rewrite the formula as
    # exp(x) / (1 + exp(x)) = e / (1 + e) with the same e.
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """(e^x - e^-x) / (e^x + e^-x), stable for any input."""
    # Divide top and bottom by e^|x|: tanh(|x|) = (1 - e) / (1 + e) with e = exp(-2|x|) <= 1.
    # expm1 keeps precision near 0, where 1 - e would cancel: 1 - e = -m and 1 + e = 2 + m.
    m = torch.expm1(-2 * x.abs())
    return torch.sign(x) * (-m / (2 + m))


def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    t = tanh(x)
    return 1 - t * t


def relu(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, torch.zeros_like(x))


def relu_grad(x: torch.Tensor) -> torch.Tensor:
    # The kink at 0 has no derivative; PyTorch (and we) use 0 there.
    return (x > 0).to(x.dtype)


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """x * Phi(x): exact (erf) or, with approximate="tanh", the tanh approximation."""
    if approximate in ("none", "tanh"):
        return 0.5 * x * (1 + torch.erf(x / SQRT_2))
    if approximate == "tanh":
        return 0.5 * x * (1 + tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_grad(x: torch.Tensor) -> torch.Tensor:
    """Derivative of the exact GELU: Phi(x) + x * phi(x)."""
    cdf = 0.5 * (1 + torch.erf(x / SQRT_2))       # Phi(x)
    pdf = torch.exp(-0.5 * x * x) * INV_SQRT_2PI  # phi(x); exp of a number <= 0
    return cdf + x * pdf
