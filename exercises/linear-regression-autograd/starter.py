import torch


def fit_linear_regression(X: torch.Tensor, y: torch.Tensor, lr: float, steps: int
                          ) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Fit y ≈ X @ w + b by gradient descent on the mean squared error.

    Args:
        X: (N, D) inputs.
        y: (N,) targets.
        lr: learning rate.
        steps: number of gradient steps.

    Returns:
        w (D,), b (0-d tensor), and the list of `steps` losses (floats, before each update).

    Raises:
        FloatingPointError: if the loss becomes NaN or infinite.
    """
    N, D = X.shape
    w = torch.zeros(D, dtype=X.dtype, requires_grad=True)   # (D,)
    b = torch.zeros((), dtype=X.dtype, requires_grad=True)  # ()
    losses: list[float] = []
    for step in range(steps):
        # TODO: forward (MSE), NaN/inf check, backward, update under torch.no_grad(), reset the gradients
        raise NotImplementedError("write the body of the training loop")
    return w.detach(), b.detach(), losses
