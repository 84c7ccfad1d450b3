"""Stacks with cat of unsqueezed tensors, concatenates at dim a.dim() - 1, pads by concatenating each sequence with a block of padding, builds the mask in a loop.
"""
import torch


def stack_batch(tensors):
    if not tensors:
        raise ValueError("no tensors to stack")
    for i in range(1, len(tensors)):
        if tensors[i].shape != tensors[0].shape:
            raise ValueError(f"shape mismatch: tensor {i} has shape {list(tensors[i].shape)}, "
                             f"tensor 0 has shape {list(tensors[0].shape)}")
    return torch.cat([t.unsqueeze(0) for t in tensors], 0)


def concat_features(a, b):
    return torch.cat((a, b), dim=a.dim() - 1)


def pad_and_stack(seqs, pad_value=0):
    if len(seqs) == 0:
        raise ValueError("empty")
    longest = max(s.shape[0] for s in seqs)
    rows, mask_rows = [], []
    for s in seqs:
        pad = torch.full((longest - s.shape[0],), pad_value, dtype=seqs[0].dtype)
        rows.append(torch.cat([s.to(seqs[0].dtype), pad]))
        mask_rows.append(torch.tensor([j < s.shape[0] for j in range(longest)], dtype=torch.bool))
    return torch.stack(rows), torch.stack(mask_rows).reshape(len(seqs), longest)
