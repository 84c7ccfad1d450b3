"""Uses a TensorDataset + DataLoader(shuffle=True), SGD with momentum, dropout, and sums
reduction='sum' losses per epoch before dividing by N (the same epoch mean).
"""
import torch
import torch.nn.functional as F
from torch import nn


def build_model() -> nn.Module:
    """A small feed-forward classifier: 64 pixel values in, 10 class scores (logits) out."""
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(128, 10),  # (N, 128) -> (N, 10) logits, one per digit
    )


def train(model: nn.Module, X_train: torch.Tensor, y_train: torch.Tensor,
          epochs: int = 30, lr: float = 1e-2) -> list[float]:
    """Mini-batch training with Adam and cross-entropy; returns the mean loss of every epoch.

    Args:
        X_train: (N, 64) float32 pixel values in [0, 1].
        y_train: (N,) int64 labels 0..9.
    """
    from torch.utils.data import DataLoader, TensorDataset

    optimizer = torch.optim.SGD(model.parameters(), lr=lr * 10, momentum=0.9)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    losses = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            loss_sum = F.cross_entropy(model(xb), yb, reduction="sum")
            optimizer.zero_grad()
            (loss_sum / len(yb)).backward()
            optimizer.step()
            total += loss_sum.item()
        losses.append(total / len(y_train))
    model.eval()
    return losses
