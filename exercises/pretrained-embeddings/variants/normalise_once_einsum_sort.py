"""Loads with np.loadtxt-free parsing (split on newlines, last empty string dropped), normalises the table
once per call with F.normalize, scores with einsum, masks the excluded words with -inf and takes
torch.sort; the classifier averages with a float mask through einsum and trains with AdamW.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def load_vectors(folder: str) -> tuple[list[str], torch.Tensor]:
    text = Path(folder, "vocab.txt").read_text(encoding="utf-8")
    words = text.split("\n")
    if words and words[-1] == "":
        words.pop()
    return words, torch.as_tensor(np.load(Path(folder, "vectors.npy")))


def _scores_to_pairs(scores, words, k, exclude):
    masked = scores.masked_fill(torch.isin(torch.arange(len(words)), torch.tensor(exclude)), float("-inf"))
    values, order = torch.sort(masked, descending=True)
    return [(words[int(i)], float(v)) for v, i in zip(values[:k], order[:k])]


def _lookup(words):
    return {w: i for i, w in enumerate(words)}


def nearest(word, words, vectors, k=5):
    where = _lookup(words)
    i = where[word]                                              # KeyError for an unknown word
    unit = F.normalize(vectors.double(), dim=1)
    return _scores_to_pairs(torch.einsum("vd,d->v", unit, unit[i]), words, k, [i])


def analogy(a, b, c, words, vectors, k=1):
    where = _lookup(words)
    ia, ib, ic = where[a], where[b], where[c]
    unit = F.normalize(vectors.double(), dim=1)
    query = F.normalize(unit[ib] - unit[ia] + unit[ic], dim=0)
    return _scores_to_pairs(torch.einsum("vd,d->v", unit, query), words, k, [ia, ib, ic])


class EmbeddingBagClassifier(nn.Module):
    def __init__(self, vectors, num_classes, pretrained=True):
        super().__init__()
        self.embedding = nn.Embedding(*vectors.shape)
        if pretrained:
            self.embedding.weight.data.copy_(vectors)
            self.embedding.weight.requires_grad_(False)
        self.linear = nn.Linear(vectors.shape[1], num_classes)

    def forward(self, ids, lengths):
        weights = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).float()  # (B, T)
        weights = weights / weights.sum(dim=1, keepdim=True)
        return self.linear(torch.einsum("bt,btd->bd", weights, self.embedding(ids)))


def train_classifier(model, ids, lengths, labels, epochs=40, lr=0.03, batch_size=16):
    optimizer = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch_size):
            batch = order[start:start + batch_size]
            loss = F.cross_entropy(model(ids[batch], lengths[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses
