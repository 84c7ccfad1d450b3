"""Reshapes the pixels to 1x8x8 images and uses a small nn.Conv2d network: accurate, but convolutions are forbidden.

Caught by: test_model_has_no_convolution
"""
import torch
import torch.nn.functional as F
from torch import nn


def build_model() -> nn.Module:
    """A small feed-forward classifier: 64 pixel values in, 10 class scores (logits) out."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 64, 10),
    )


def train(model: nn.Module, X_train: torch.Tensor, y_train: torch.Tensor,
          epochs: int = 30, lr: float = 1e-2) -> list[float]:
    """Mini-batch training with Adam and cross-entropy; returns the mean loss of every epoch.

    Args:
        X_train: (N, 64) float32 pixel values in [0, 1].
        y_train: (N,) int64 labels 0..9.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    batch_size = 64
    n = X_train.shape[0]
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n)  # a new shuffle each epoch; seeded by the caller's torch.manual_seed
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            logits = model(X_train[idx])                 # (B, 10)
            loss = F.cross_entropy(logits, y_train[idx])  # softmax + negative log-likelihood in one stable step
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / n)  # mean loss over the epoch's samples
    return losses
