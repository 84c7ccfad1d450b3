"""Counts with index_put_(accumulate=True), normalises with nan_to_num, samples by inverse CDF
(one torch.rand draw from the generator per step + searchsorted) and computes nll with gather.
"""
import torch


def build_vocab(text: str) -> tuple[dict[str, int], dict[int, str]]:
    """Map the sorted unique characters of ``text`` to ids 0..V-1.

    Returns:
        (stoi, itos): character -> id, and id -> character.
    """
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for ch, i in stoi.items()}
    return stoi, itos


def bigram_counts(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Count consecutive pairs.

    Args:
        ids: int64 tensor of shape (N,).
        vocab_size: V.

    Returns:
        int64 tensor of shape (V, V) where [i, j] counts how often j directly follows i.
    """
    ids = ids.long()
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.long)
    counts.index_put_((ids[:-1], ids[1:]), torch.ones(max(len(ids) - 1, 0), dtype=torch.long), accumulate=True)
    return counts


def bigram_probs(counts: torch.Tensor, smoothing: float = 1.0) -> torch.Tensor:
    """Add ``smoothing`` to every count and normalise each row to sum to one.

    Returns:
        float32 tensor of shape (V, V); a row whose total is 0 stays all zeros.
    """
    p = counts.to(torch.float32) + smoothing  # (V, V)
    totals = p.sum(dim=1, keepdim=True)       # (V, 1): keepdim so it divides row by row
    return torch.nan_to_num(p / totals, nan=0.0)


def sample(probs: torch.Tensor, start_id: int, length: int, generator: torch.Generator) -> list[int]:
    """Generate ``length`` ids, starting with ``start_id``.

    Each next id is drawn from ``probs[current]`` with torch.multinomial(..., generator=generator).
    """
    out = [int(start_id)]
    for _ in range(length - 1):
        row = probs[out[-1]]  # (V,) distribution of the next id
        cdf = torch.cumsum(row.double() / row.double().sum(), 0)
        u = torch.rand(1, generator=generator, dtype=torch.float64)
        out.append(min(int(torch.searchsorted(cdf, u, right=True).item()), len(row) - 1))
    return out


def nll(probs: torch.Tensor, ids: torch.Tensor) -> float:
    """Average negative log-likelihood of the consecutive pairs of ``ids`` (shape (N,))."""
    logp = torch.log(probs)[ids[:-1]].gather(1, ids[1:, None].long()).squeeze(1)
    return float(-logp.mean())
