"""Pads with torch.nn.utils.rnn.pad_sequence, which the rules forbid (the values are right).

Caught by: test_does_not_use_pad_sequence
"""
import torch


def stack_batch(tensors: list[torch.Tensor]) -> torch.Tensor:
    """N tensors of the same shape S -> (N, *S). ValueError naming the first mismatch."""
    if len(tensors) == 0:
        raise ValueError("stack_batch needs at least one tensor; got an empty list.")
    first = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != first:
            raise ValueError(f"tensor {i} has shape {tuple(t.shape)}, but tensor 0 has shape {first}; "
                             "stacking needs every tensor to have the same shape.")
    return torch.stack(tensors, dim=0)  # (N, *S): a new leading dimension


def concat_features(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a: (..., Da), b: (..., Db) -> (..., Da + Db)."""
    return torch.cat([a, b], dim=-1)    # joins an existing dimension, no new one


def pad_and_stack(seqs: list[torch.Tensor], pad_value: float = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """N 1-D tensors -> padded (N, max_len) with the dtype of seqs[0], and a bool mask (N, max_len)."""
    if len(seqs) == 0:
        raise ValueError("pad_and_stack needs at least one sequence; got an empty list.")
    first = seqs[0]
    lengths = torch.tensor([len(s) for s in seqs], device=first.device)          # (N,)
    max_len = int(lengths.max())
    from torch.nn.utils.rnn import pad_sequence
    padded = pad_sequence(list(seqs), batch_first=True, padding_value=pad_value)
    # Position j of row i is real when j < length_i: (1, L) < (N, 1) broadcasts to (N, L).
    mask = torch.arange(max_len, device=first.device)[None, :] < lengths[:, None]
    return padded, mask
