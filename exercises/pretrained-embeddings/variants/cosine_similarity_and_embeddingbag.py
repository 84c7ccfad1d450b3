"""Cosines with F.cosine_similarity broadcasting one row against the table, answers by a full argsort
that skips the excluded words; the classifier is an nn.EmbeddingBag(mode="mean") fed the real words of
each text with offsets (no padding ever reaches it), trained full-batch with plain SGD and momentum.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def load_vectors(folder: str) -> tuple[list[str], torch.Tensor]:
    """The words of vocab.txt (one per line) and the (V, D) float32 tensor of vectors.npy."""
    with open(f"{folder}/vocab.txt", encoding="utf-8") as f:
        words = [line.rstrip("\n") for line in f]
    array = np.load(f"{folder}/vectors.npy")
    return words, torch.tensor(array, dtype=torch.float32)


def _ranked(scores: torch.Tensor, words: list[str], k: int, exclude: set[int]) -> list[tuple[str, float]]:
    answers = []
    for i in torch.argsort(scores, descending=True, stable=True).tolist():
        if i not in exclude:
            answers.append((words[i], scores[i].item()))
            if len(answers) == k:
                break
    return answers


def _position(word: str, words: list[str]) -> int:
    if word not in words:
        raise KeyError(word)
    return words.index(word)


def nearest(word: str, words: list[str], vectors: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
    """The k words of highest cosine similarity with ``word``, without ``word``."""
    i = _position(word, words)
    scores = F.cosine_similarity(vectors, vectors[i].unsqueeze(0), dim=1)   # (V,), broadcast over the rows
    return _ranked(scores, words, k, {i})


def analogy(a: str, b: str, c: str, words: list[str], vectors: torch.Tensor, k: int = 1) -> list[tuple[str, float]]:
    """The k words closest to unit(b) - unit(a) + unit(c), without a, b and c."""
    ia, ib, ic = _position(a, words), _position(b, words), _position(c, words)
    unit = F.normalize(vectors, dim=1)
    query = unit[ib] - unit[ia] + unit[ic]
    scores = F.cosine_similarity(unit, query.unsqueeze(0), dim=1)
    return _ranked(scores, words, k, {ia, ib, ic})


class EmbeddingBagClassifier(nn.Module):
    """nn.EmbeddingBag averaging each text's real words, then a linear layer."""

    def __init__(self, vectors: torch.Tensor, num_classes: int, pretrained: bool = True) -> None:
        super().__init__()
        if pretrained:
            self.embedding = nn.EmbeddingBag.from_pretrained(vectors, freeze=True, mode="mean")
        else:
            self.embedding = nn.EmbeddingBag(vectors.shape[0], vectors.shape[1], mode="mean")
            nn.init.normal_(self.embedding.weight)
        self.linear = nn.Linear(vectors.shape[1], num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        flat = torch.cat([row[:n] for row, n in zip(ids, lengths.tolist())])        # the real words only
        offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
        return self.linear(self.embedding(flat, offsets))


def train_classifier(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
                     epochs: int = 150, lr: float = 0.5) -> list[float]:
    """Full-batch SGD with momentum on the trainable parameters."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=lr, momentum=0.9)
    losses = []
    for _ in range(epochs):
        loss = F.cross_entropy(model(ids, lengths), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses
