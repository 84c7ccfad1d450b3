"""Moves `dim` first and loops over the slices along it in Python (unbind + stack), keeping a running
maximum, instead of vectorised amax/sum."""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    slices = x.movedim(dim, 0).unbind(0)
    m = slices[0]
    for s in slices[1:]:
        m = torch.maximum(m, s)
    exps = [torch.exp(s - m) for s in slices]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return torch.stack([e / total for e in exps], dim=0).movedim(0, dim)
