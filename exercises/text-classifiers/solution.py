"""Three text classifiers over word embeddings: a bag of embeddings, a GRU and a 1-D CNN, with padding handled."""
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
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.classifier = nn.Linear(embed_dim, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (B, T), lengths: (B,) -> logits (B, num_classes)."""
        mask = (torch.arange(ids.shape[1]) < lengths[:, None]).unsqueeze(-1)  # (B, T, 1), True on real words
        emb = self.embedding(ids) * mask                                      # (B, T, E), pads zeroed
        mean = emb.sum(dim=1) / lengths.clamp_min(1)[:, None]                 # (B, E): divide by the real length
        return self.classifier(mean)


class GRUClassifier(nn.Module):
    """Embeddings -> a GRU reading each review left to right -> its hidden state after the last real word -> linear."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 32, num_classes: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.gru = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (B, T), lengths: (B,) -> logits (B, num_classes)."""
        emb = self.embedding(ids)                                             # (B, T, E)
        # Packing hands the GRU only the real words of each review, in any order of lengths (enforce_sorted=False
        # sorts inside and puts h_n back in the batch's order); lengths must live on the CPU.
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h_n = self.gru(packed)                                             # (num_layers, B, H)
        return self.classifier(h_n[-1])                                       # the state after the last real word


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
            feats = F.relu(conv(x))                                           # (B, F, T)
            # Positions past the end of a sentence must not win the max: a padded batch and the sentence
            # alone then give the same features.
            feats = feats.masked_fill(~mask.unsqueeze(1), float("-inf"))
            pooled.append(feats.amax(dim=2))                                  # (B, F)
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
