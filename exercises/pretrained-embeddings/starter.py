from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def load_vectors(folder: str) -> tuple[list[str], torch.Tensor]:
    """The words of ``vocab.txt`` (one per line) and the (V, D) float32 tensor of ``vectors.npy``, row i = word i."""
    raise NotImplementedError("read vocab.txt line by line and np.load vectors.npy; keep the order")


def nearest(word: str, words: list[str], vectors: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words most similar to ``word`` by cosine similarity, most similar first, without ``word``."""
    raise NotImplementedError("cosine similarity = dot product of unit vectors; leave the word itself out")


def analogy(a: str, b: str, c: str, words: list[str], vectors: torch.Tensor, k: int = 1) -> list[tuple[str, float]]:
    """a is to b as c is to ...: the ``k`` words closest (cosine) to unit(b) - unit(a) + unit(c), without a, b, c."""
    raise NotImplementedError


class EmbeddingBagClassifier(nn.Module):
    """Mean of the word vectors of a text (padding excluded), then one linear layer."""

    def __init__(self, vectors: torch.Tensor, num_classes: int, pretrained: bool = True) -> None:
        super().__init__()
        # pretrained=True: self.embedding holds the given vectors, frozen.
        # pretrained=False: self.embedding is a random, trainable table of the same shape.
        self.embedding = nn.Embedding(vectors.shape[0], vectors.shape[1])
        self.linear = nn.Linear(vectors.shape[1], num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (B, T) right-padded, lengths (B,) -> logits (B, num_classes)."""
        raise NotImplementedError("the mean of the embeddings of the first lengths[b] words, then self.linear")


def train_classifier(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
                     epochs: int = 50, lr: float = 0.05, batch_size: int = 32) -> list[float]:
    """Train with cross-entropy on the parameters that require gradients; return the loss of every step."""
    raise NotImplementedError
