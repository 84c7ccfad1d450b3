"""Bag of embeddings with nn.EmbeddingBag(mode="mean") and offsets; the GRU is an nn.GRUCell stepped by hand,
each review keeping its state once its words run out (torch.where on t < length, no packing); the CNN
max-pools first and applies ReLU after (ReLU is monotone), and fills pad positions with a very negative
number instead of -inf.
"""
from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn

PAD, UNK = "<pad>", "<unk>"


def tokenize(text: str) -> list[str]:
    """Lowercase and split on whitespace."""
    return text.lower().split()


def build_vocab(sentences: list[str], min_freq: int = 1) -> dict[str, int]:
    """<pad> = 0, <unk> = 1, then every word seen at least ``min_freq`` times (most frequent first)."""
    counts = Counter(word for s in sentences for word in tokenize(s))
    words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
    return {PAD: 0, UNK: 1, **{w: i + 2 for i, w in enumerate(words)}}


def encode(sentences: list[str], vocab: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Word ids right-padded with 0 to the longest sentence: ids (B, T) and lengths (B,)."""
    rows = [[vocab.get(w, vocab[UNK]) for w in tokenize(s)] for s in sentences]
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)   # (B,)
    ids = torch.zeros(len(rows), max(int(lengths.max()), 1), dtype=torch.long)  # (B, T), 0 = <pad>
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
    return ids, lengths


class BagOfEmbeddings(nn.Module):
    """Mean of the word embeddings (padding excluded), then one linear layer."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, num_classes: int = 2) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.classifier = nn.Linear(embed_dim, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        flat = torch.cat([ids[i, :int(n)] for i, n in enumerate(lengths)])
        offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
        return self.classifier(self.bag(flat, offsets))


class GRUClassifier(nn.Module):
    """Embeddings -> a GRU reading each review left to right -> its hidden state after the last real word -> linear."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 32, num_classes: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.cell = nn.GRUCell(embed_dim, hidden_size)
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (B, T), lengths: (B,) -> logits (B, num_classes)."""
        emb = self.embedding(ids)                                             # (B, T, E)
        h = emb.new_zeros(ids.shape[0], self.cell.hidden_size)               # (B, H)
        for t in range(ids.shape[1]):
            # A review that has ended keeps its state: steps over its pads change nothing.
            h = torch.where((t < lengths)[:, None], self.cell(emb[:, t], h), h)
        return self.classifier(h)


class CNNClassifier(nn.Module):
    """Embeddings -> one Conv1d per (odd) kernel size -> ReLU -> max over time -> linear (Kim, 2014)."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, num_classes: int = 2, num_filters: int = 32,
                 kernel_sizes: tuple[int, ...] = (3, 5)) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        # padding=k//2 keeps one output per position: output t looks at words t-k//2 .. t+k//2.
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, num_filters, k, padding=k // 2) for k in kernel_sizes)
        self.dropout = nn.Dropout(0.2)
        self.classifier = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (B, T), lengths: (B,) -> logits (B, num_classes)."""
        mask = torch.arange(ids.shape[1]) < lengths[:, None]                  # (B, T)
        emb = self.embedding(ids) * mask.unsqueeze(-1)                        # (B, T, E), pads exactly 0
        x = emb.transpose(1, 2)                                               # (B, E, T): Conv1d wants channels first
        pooled = []
        for conv in self.convs:
            feats = conv(x).masked_fill(~mask.unsqueeze(1), -1e9)
            pooled.append(F.relu(feats.max(dim=2).values))
        return self.classifier(self.dropout(torch.cat(pooled, dim=1)))      # (B, C)


def train_classifier(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
                     epochs: int = 8, lr: float = 0.01, batch_size: int = 64, seed: int = 0) -> list[float]:
    """Mini-batch Adam on cross-entropy; returns the loss of every step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch_size):
            idx = order[start:start + batch_size]
            longest = int(lengths[idx].max())                                # trim padding this batch does not need
            logits = model(ids[idx, :longest], lengths[idx])
            loss = F.cross_entropy(logits, labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    return losses
