"""Ranks neighbours by the raw dot product of the vectors instead of the cosine: long (frequent) vectors win.

Caught by: test_nearest_neighbours_by_cosine_similarity, test_nearest_works_on_any_vectors_given
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def load_vectors(folder: str) -> tuple[list[str], torch.Tensor]:
    """The words of ``vocab.txt`` (one per line) and the (V, D) float32 tensor of ``vectors.npy``, row i = word i."""
    folder = Path(folder)
    words = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vectors = torch.from_numpy(np.load(folder / "vectors.npy"))       # (V, D) float32
    if len(words) != vectors.shape[0]:
        raise ValueError(f"{len(words)} words but {vectors.shape[0]} vectors")
    return words, vectors


def unit_rows(vectors: torch.Tensor) -> torch.Tensor:
    """Every row divided by its length: dot products of the result are cosine similarities."""
    return vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _index(word: str, words: list[str]) -> int:
    try:
        return words.index(word)
    except ValueError:
        raise KeyError(f"{word!r} is not in the vocabulary") from None


def _top(scores: torch.Tensor, words: list[str], k: int, exclude: list[int]) -> list[tuple[str, float]]:
    scores = scores.clone()
    scores[exclude] = float("-inf")                                    # never among the answers
    values, ids = torch.topk(scores, k)
    return [(words[i], float(v)) for v, i in zip(values.tolist(), ids.tolist())]


def nearest(word: str, words: list[str], vectors: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words most similar to ``word`` by cosine similarity, most similar first, without ``word``."""
    i = _index(word, words)
    return _top(vectors @ vectors[i], words, k, [i])                  # (V,) dot products


def analogy(a: str, b: str, c: str, words: list[str], vectors: torch.Tensor, k: int = 1) -> list[tuple[str, float]]:
    """a is to b as c is to ...: the ``k`` words closest (cosine) to unit(b) - unit(a) + unit(c), without a, b, c."""
    ia, ib, ic = (_index(w, words) for w in (a, b, c))
    unit = unit_rows(vectors)
    query = unit[ib] - unit[ia] + unit[ic]                             # (D,)
    cosines = unit @ (query / query.norm())                            # (V,)
    return _top(cosines, words, k, [ia, ib, ic])


class EmbeddingBagClassifier(nn.Module):
    """Mean of the word vectors of a text (padding excluded), then one linear layer."""

    def __init__(self, vectors: torch.Tensor, num_classes: int, pretrained: bool = True) -> None:
        super().__init__()
        if pretrained:
            self.embedding = nn.Embedding.from_pretrained(vectors, freeze=True)   # the file's rows, never trained
        else:
            self.embedding = nn.Embedding(vectors.shape[0], vectors.shape[1])     # random N(0, 1), trained
        self.linear = nn.Linear(vectors.shape[1], num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (B, T) right-padded, lengths (B,) -> logits (B, num_classes)."""
        mask = (torch.arange(ids.shape[1]) < lengths[:, None]).unsqueeze(-1)      # (B, T, 1): real words
        summed = (self.embedding(ids) * mask).sum(dim=1)                           # (B, D)
        return self.linear(summed / lengths.clamp_min(1)[:, None])


def train_classifier(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
                     epochs: int = 50, lr: float = 0.05, batch_size: int = 32) -> list[float]:
    """Adam on the parameters that require gradients, cross-entropy, shuffled mini-batches; the loss of every step."""
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    losses = []
    for _ in range(epochs):
        for batch in torch.randperm(len(labels)).split(batch_size):
            loss = F.cross_entropy(model(ids[batch], lengths[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    return losses
