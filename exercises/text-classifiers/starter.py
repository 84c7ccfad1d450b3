import torch
import torch.nn.functional as F
from torch import nn


def build_vocab(sentences: list[str], min_freq: int = 1) -> dict[str, int]:
    """<pad> -> 0, <unk> -> 1, then every lowercased word seen at least min_freq times."""
    raise NotImplementedError("count the words of text.lower().split(); give ids from 2 upwards")


def encode(sentences: list[str], vocab: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """ids (B, T) right-padded with 0, unknown words -> 1; lengths (B,). T = the longest sentence."""
    raise NotImplementedError


class BagOfEmbeddings(nn.Module):
    """Mean of the word embeddings, then one linear layer."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, num_classes: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.classifier = nn.Linear(embed_dim, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (B, T), lengths: (B,) -> logits (B, num_classes)."""
        # A first attempt: this averages over all T positions, padding included. Is that right?
        return self.classifier(self.embedding(ids).mean(dim=1))


class GRUClassifier(nn.Module):
    """Embeddings -> a GRU reading each review -> its hidden state after the last real word -> linear."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 32, num_classes: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.gru = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (B, T), lengths: (B,) -> logits (B, num_classes)."""
        # A first attempt: the output at the last position T - 1. Is that a real word for every review of a batch?
        outputs, _ = self.gru(self.embedding(ids))                           # (B, T, H)
        return self.classifier(outputs[:, -1])


class CNNClassifier(nn.Module):
    """Embeddings -> Conv1d per kernel size -> ReLU -> max over time -> linear."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, num_classes: int = 2, num_filters: int = 32,
                 kernel_sizes: tuple[int, ...] = (3, 5)) -> None:
        super().__init__()
        raise NotImplementedError("an nn.Embedding, one nn.Conv1d(embed_dim, num_filters, k, padding=k // 2) "
                                  "per kernel size (in an nn.ModuleList), and an nn.Linear")

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (B, T), lengths: (B,) -> logits (B, num_classes)."""
        raise NotImplementedError


def train_classifier(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
                     epochs: int = 8, lr: float = 0.01, batch_size: int = 64, seed: int = 0) -> list[float]:
    """Mini-batch Adam on cross-entropy; returns the loss of every step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(ids[idx], lengths[idx]), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    return losses
