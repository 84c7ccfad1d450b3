import torch


def stack_batch(tensors: list[torch.Tensor]) -> torch.Tensor:
    """N tensors of the same shape S -> (N, *S). ValueError naming the first mismatch."""
    # Not quite: this joins along an existing dimension instead of adding a new one,
    # and it does not check the shapes.
    return torch.cat(tensors, dim=0)


def concat_features(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a: (..., Da), b: (..., Db) -> (..., Da + Db)."""
    raise NotImplementedError("concat_features")


def pad_and_stack(seqs: list[torch.Tensor], pad_value: float = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """N 1-D tensors -> padded (N, max_len) with the dtype of seqs[0], and a bool mask (N, max_len)."""
    raise NotImplementedError("pad_and_stack")
