import torch
import torch.nn.functional as F
from torch import nn


def skipgram_pairs(ids, window: int) -> torch.Tensor:
    """(P, 2) LongTensor of (center, context) pairs of one sentence (ids: list of ints or 1-D tensor)."""
    raise NotImplementedError("for every position, pair it with each word at distance 1..window on both sides")


def sample_negatives(counts: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(k,) LongTensor of word ids drawn with probability proportional to counts ** 0.75."""
    raise NotImplementedError("torch.multinomial can draw from unnormalised weights")


class SkipGramNS(nn.Module):
    """Two embedding tables: in_embed (center vectors v) and out_embed (context vectors u)."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)   # (V, D) center vectors v: the word vectors you keep
        self.out_embed = nn.Embedding(vocab_size, dim)  # (V, D) context vectors u
        # nn.Embedding starts from N(0, 1); word2vec starts much smaller (see the prompt).

    def loss(self, center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """center (B,), context (B,), negatives (B, K) -> the mean negative-sampling loss (a scalar)."""
        raise NotImplementedError("-logsigmoid(u_o . v_c) - sum_k logsigmoid(-u_k . v_c), mean over the batch")


def train(corpus_ids: list[list[int]], vocab_size: int, dim: int = 32, window: int = 2, negatives: int = 5,
          epochs: int = 4, lr: float = 0.02, batch_size: int = 512, seed: int = 0) -> tuple[SkipGramNS, list[float]]:
    """Train skip-gram with negative sampling; return the model and the loss of every step."""
    raise NotImplementedError
