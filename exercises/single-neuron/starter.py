import torch


def neuron(x: torch.Tensor, w: torch.Tensor, b, activation: str = "sigmoid") -> torch.Tensor:
    """Output of one neuron for a batch of inputs.

    Args:
        x: (N, D) inputs, one row per sample.
        w: (D,) weights.
        b: bias, a Python float or a 0-d tensor.
        activation: "sigmoid", "tanh", "relu" or "identity"; anything else raises ValueError.

    Returns:
        (N,) activations f(x @ w + b).
    """
    raise NotImplementedError("compute z = x @ w + b, then apply the activation named by `activation`")


def neuron_grad(x: torch.Tensor, w: torch.Tensor, b) -> tuple[torch.Tensor, torch.Tensor]:
    """Hand-derived gradient of L = sum_n sigmoid(x_n . w + b) with respect to w and b.

    No .backward() or torch.autograd: use sigma'(z) = sigma(z) * (1 - sigma(z)) and the chain rule.

    Returns:
        (dL/dw of shape (D,), dL/db of shape ()).
    """
    raise NotImplementedError("derive dL/dw and dL/db with the chain rule")
