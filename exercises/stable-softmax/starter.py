import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax of ``x`` along ``dim``, safe for large scores.

    Args:
        x: floating-point scores of any shape, e.g. (B, C).
        dim: the dimension whose entries should sum to one.

    Returns:
        A tensor of the same shape and dtype as ``x``.
    """
    # The textbook formula: correct on paper, but exp(100.0) is already inf in
    # float32, and inf / inf is NaN. Make it stable (see the lesson).
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)
