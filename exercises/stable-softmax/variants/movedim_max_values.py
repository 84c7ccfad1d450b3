"""Moves `dim` to the end, shifts by `max(...).values` and moves it back: another route to the same result."""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    moved = x.movedim(dim, -1)
    shifted = moved - moved.max(dim=-1).values.unsqueeze(-1)
    e = shifted.exp()
    return (e / e.sum(-1, keepdim=True)).movedim(-1, dim)
