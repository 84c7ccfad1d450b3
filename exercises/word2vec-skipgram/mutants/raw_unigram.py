"""Negatives drawn from the plain unigram distribution (counts, without the 0.75 power).

Caught by: test_negative_samples_follow_unigram_to_the_three_quarters
"""
import torch
import torch.nn.functional as F
from torch import nn


def skipgram_pairs(ids, window: int) -> torch.Tensor:
    """All (center, context) pairs of one sentence: context within ``window`` positions, not the center itself.

    Args:
        ids: the word ids of one sentence, a list of ints or a 1-D LongTensor of length N.
        window: how many positions to look on each side.

    Returns:
        A LongTensor of shape (P, 2); row = (center id, context id).
    """
    ids = torch.as_tensor(ids, dtype=torch.long).flatten()  # (N,)
    n = ids.numel()
    chunks = []
    for offset in range(1, window + 1):
        if offset >= n:
            break
        left, right = ids[:-offset], ids[offset:]             # (N - offset,) each: neighbours at distance offset
        chunks.append(torch.stack([left, right], dim=1))      # center on the left, context to its right
        chunks.append(torch.stack([right, left], dim=1))      # center on the right, context to its left
    if not chunks:
        return torch.empty(0, 2, dtype=torch.long)
    return torch.cat(chunks)                                  # (P, 2)


def sample_negatives(counts: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``k`` word ids with probability proportional to count ** 0.75 (with replacement).

    Args:
        counts: (V,) how often each word occurs in the corpus.
        k: how many ids to draw.
        generator: the random source; the same seed gives the same draws.

    Returns:
        A LongTensor of shape (k,).
    """
    weights = counts.to(torch.float64)  # (V,) flattens the unigram: rare words are drawn more often
    return torch.multinomial(weights, k, replacement=True, generator=generator)


class SkipGramNS(nn.Module):
    """Two embedding tables: ``in_embed`` for center words (v) and ``out_embed`` for context words (u)."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)   # (V, D): the word vectors we keep
        self.out_embed = nn.Embedding(vocab_size, dim)  # (V, D): context vectors, used only for training
        # word2vec's initialisation: small random centre vectors, zero context vectors.
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out_embed.weight)

    def loss(self, center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of -log σ(u_o·v_c) - Σ_k log σ(-u_k·v_c).

        Args:
            center: (B,) center word ids.
            context: (B,) true context word ids.
            negatives: (B, K) sampled "noise" word ids.
        """
        v = self.in_embed(center)                              # (B, D)
        u_pos = self.out_embed(context)                        # (B, D)
        u_neg = self.out_embed(negatives)                      # (B, K, D)
        pos_score = (u_pos * v).sum(dim=-1)                    # (B,)
        neg_score = torch.bmm(u_neg, v.unsqueeze(2)).squeeze(2)  # (B, K)
        # logsigmoid stays finite for large scores, where log(sigmoid(x)) would give log(0) = -inf.
        per_pair = -F.logsigmoid(pos_score) - F.logsigmoid(-neg_score).sum(dim=1)  # (B,)
        return per_pair.mean()


def train(corpus_ids: list[list[int]], vocab_size: int, dim: int = 32, window: int = 2, negatives: int = 5,
          epochs: int = 4, lr: float = 0.02, batch_size: int = 512, seed: int = 0) -> tuple[SkipGramNS, list[float]]:
    """Train skip-gram with negative sampling on a list of sentences (lists of word ids).

    Returns:
        The trained model and the loss of every optimisation step.
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SkipGramNS(vocab_size, dim)
    pairs = torch.cat([skipgram_pairs(s, window) for s in corpus_ids])  # (P, 2)
    counts = torch.bincount(torch.cat([torch.as_tensor(s, dtype=torch.long) for s in corpus_ids]),
                            minlength=vocab_size)                       # (V,)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    for _ in range(epochs):
        order = torch.randperm(len(pairs), generator=generator)
        for start in range(0, len(pairs), batch_size):
            batch = pairs[order[start:start + batch_size]]               # (B, 2)
            negs = sample_negatives(counts, len(batch) * negatives, generator).view(len(batch), negatives)
            loss = model.loss(batch[:, 0], batch[:, 1], negs)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return model, losses
