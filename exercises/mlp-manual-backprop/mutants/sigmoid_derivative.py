"""Uses the sigmoid's derivative h(1 - h) instead of tanh's 1 - h².

Caught by: test_gradients_match_autograd
"""
import torch


def forward(x: torch.Tensor, y: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
    """x -> Linear -> tanh -> Linear -> mean squared error against y.

    Args:
        x: (N, D) inputs.
        y: (N, O) targets.
        params: {"W1": (H, D), "b1": (H,), "W2": (O, H), "b2": (O,)}.

    Returns:
        (loss, cache): loss is a 0-d tensor; cache holds what backward needs.
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z = x @ W1.T + b1            # (N, H) pre-activations
    h = torch.tanh(z)            # (N, H) hidden activations
    pred = h @ W2.T + b2         # (N, O)
    loss = ((pred - y) ** 2).mean()
    # Only what the local derivatives need: tanh' is written with h, so z is not kept.
    cache = {"x": x, "h": h, "pred": pred, "y": y, "W2": W2}
    return loss, cache


def backward(cache: dict) -> dict[str, torch.Tensor]:
    """Gradients of the loss with respect to W1, b1, W2 and b2, by the chain rule."""
    x, h, pred, y, W2 = cache["x"], cache["h"], cache["pred"], cache["y"], cache["W2"]
    # L = sum((pred - y)^2) / (N * O)
    dpred = 2 * (pred - y) / pred.numel()   # (N, O)
    # pred = h @ W2.T + b2
    dW2 = dpred.T @ h                       # (O, N) @ (N, H) -> (O, H)
    db2 = dpred.sum(dim=0)                  # (O,): b2 was broadcast over the batch, so sum over it
    dh = dpred @ W2                         # (N, O) @ (O, H) -> (N, H)
    # h = tanh(z), tanh'(z) = 1 - tanh(z)^2
    dz = dh * h * (1 - h)                  # (N, H)
    # z = x @ W1.T + b1
    dW1 = dz.T @ x                          # (H, N) @ (N, D) -> (H, D)
    db1 = dz.sum(dim=0)                     # (H,)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
