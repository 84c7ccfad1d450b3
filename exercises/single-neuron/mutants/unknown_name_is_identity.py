"""Unknown activation names silently fall back to the identity instead of raising ValueError.

Caught by: test_unknown_activation_raises_value_error_naming_the_choices
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
    z = x @ w + b  # (N, D) @ (D,) -> (N,): one weighted sum per sample
    return ACTIVATIONS.get(activation, ACTIVATIONS["identity"])(z)


def neuron_grad(x: torch.Tensor, w: torch.Tensor, b) -> tuple[torch.Tensor, torch.Tensor]:
    """Hand-derived gradient of L = sum_n sigmoid(x_n . w + b) with respect to w and b.

    Returns:
        (dL/dw of shape (D,), dL/db of shape ()).
    """
    s = torch.sigmoid(x @ w + b)  # (N,)
    local = s * (1 - s)           # (N,) sigma'(z_n): how much each output moves per unit of z_n
    # dz_n/dw = x_n and dz_n/db = 1, so the chain rule gives sums over the batch.
    dw = x.T @ local              # (D, N) @ (N,) -> (D,)
    db = local.sum()              # ()
    return dw, db
