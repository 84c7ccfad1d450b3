import torch
import torch.nn.functional as F
from torch import nn


def build_model() -> nn.Module:
    """A feed-forward classifier: (N, 64) pixel values in, (N, 10) class scores (logits) out."""
    raise NotImplementedError("stack nn.Linear layers and activations, ending with 10 outputs")


def train(model: nn.Module, X_train: torch.Tensor, y_train: torch.Tensor,
          epochs: int = 10, lr: float = 0.1) -> list[float]:
    """Train `model` in place with cross-entropy; return the average loss of every epoch.

    Args:
        X_train: (N, 64) float32 pixel values in [0, 1].
        y_train: (N,) int64 labels 0..9.
    """
    losses = []
    # TODO: create an optimiser, then for each epoch shuffle the data, loop over mini-batches,
    # compute F.cross_entropy(model(xb), yb), backpropagate and step; append the epoch's mean loss.
    raise NotImplementedError("write the training loop")
    return losses
