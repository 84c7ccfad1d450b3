"""Looks up P[next, current] instead of P[current, next].

Caught by: test_nll_matches_a_hand_computation, test_nll_matches_a_loop_and_uniform_gives_log_v
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
    pair = ids[:-1] * vocab_size + ids[1:]  # (N-1,): pair (i, j) as the single number i*V + j
    flat = torch.bincount(pair, minlength=vocab_size * vocab_size)  # (V*V,)
    return flat.view(vocab_size, vocab_size)  # (V, V), row = current, column = next


def bigram_probs(counts: torch.Tensor, smoothing: float = 1.0) -> torch.Tensor:
    """Add ``smoothing`` to every count and normalise each row to sum to one.

    Returns:
        float32 tensor of shape (V, V); a row whose total is 0 stays all zeros.
    """
    p = counts.to(torch.float32) + smoothing  # (V, V)
    totals = p.sum(dim=1, keepdim=True)       # (V, 1): keepdim so it divides row by row
    return p / torch.where(totals > 0, totals, torch.ones_like(totals))


def sample(probs: torch.Tensor, start_id: int, length: int, generator: torch.Generator) -> list[int]:
    """Generate ``length`` ids, starting with ``start_id``.

    Each next id is drawn from ``probs[current]`` with torch.multinomial(..., generator=generator).
    """
    out = [int(start_id)]
    for _ in range(length - 1):
        row = probs[out[-1]]  # (V,) distribution of the next id
        out.append(int(torch.multinomial(row, num_samples=1, generator=generator).item()))
    return out


def nll(probs: torch.Tensor, ids: torch.Tensor) -> float:
    """Average negative log-likelihood of the consecutive pairs of ``ids`` (shape (N,))."""
    p = probs[ids[1:], ids[:-1]]  # (N-1,) probability the model gave each actual next id
    return -torch.log(p).mean().item()
