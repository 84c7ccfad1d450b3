"""neuron_grad asks autograd for the gradient: right values, but the rules forbid autograd.

Caught by: test_gradient_is_derived_by_hand_without_autograd
"""
import torch

# Name -> function applied to the pre-activation z (any shape, elementwise).
ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
}


def neuron(x: torch.Tensor, w: torch.Tensor, b, activation: str = "sigmoid") -> torch.Tensor:
    """Output of one neuron for a batch of inputs.

    Args:
        x: (N, D) inputs, one row per sample.
        w: (D,) weights.
        b: bias, a Python float or a 0-d tensor.
        activation: "sigmoid", "tanh", "relu" or "identity".

    Returns:
        (N,) activations f(x @ w + b).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    z = x @ w + b  # (N, D) @ (D,) -> (N,): one weighted sum per sample
    return ACTIVATIONS[activation](z)


def neuron_grad(x: torch.Tensor, w: torch.Tensor, b) -> tuple[torch.Tensor, torch.Tensor]:
    """Hand-derived gradient of L = sum_n sigmoid(x_n . w + b) with respect to w and b.

    Returns:
        (dL/dw of shape (D,), dL/db of shape ()).
    """
    wg = w.detach().clone().requires_grad_(True)
    bg = torch.as_tensor(b, dtype=x.dtype).detach().clone().requires_grad_(True)
    dw, db = torch.autograd.grad(torch.sigmoid(x @ wg + bg).sum(), (wg, bg))
    return dw, db
