import torch


def build_vocab(text: str) -> tuple[dict[str, int], dict[int, str]]:
    """Map the sorted unique characters of ``text`` to ids 0..V-1.

    Returns:
        (stoi, itos): character -> id, and id -> character.
    """
    raise NotImplementedError("build_vocab is not written yet")


def bigram_counts(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Count consecutive pairs.

    Args:
        ids: int64 tensor of shape (N,).
        vocab_size: V.

    Returns:
        int64 tensor of shape (V, V) where [i, j] counts how often j directly follows i.
    """
    raise NotImplementedError("bigram_counts is not written yet")


def bigram_probs(counts: torch.Tensor, smoothing: float = 1.0) -> torch.Tensor:
    """Add ``smoothing`` to every count and normalise each row to sum to one.

    Returns:
        float32 tensor of shape (V, V); a row whose total is 0 stays all zeros.
    """
    raise NotImplementedError("bigram_probs is not written yet")


def sample(probs: torch.Tensor, start_id: int, length: int, generator: torch.Generator) -> list[int]:
    """Generate ``length`` ids, starting with ``start_id``.

    Each next id is drawn from ``probs[current]`` with torch.multinomial(..., generator=generator).
    """
    raise NotImplementedError("sample is not written yet")


def nll(probs: torch.Tensor, ids: torch.Tensor) -> float:
    """Average negative log-likelihood of the consecutive pairs of ``ids`` (shape (N,))."""
    raise NotImplementedError("nll is not written yet")
