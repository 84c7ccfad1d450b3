"""Breaks ties by the token ids (the smaller id pair) instead of the tokens' bytes: a merged
token such as b"aa" (id 256) then loses to b"b" (id 98) although b"aa" < b"b".

Caught by: test_ties_compare_token_bytes_not_token_ids
"""


def _pair_counts(ids: list[int]) -> dict[tuple[int, int], int]:
    """How often each adjacent pair of ids occurs (overlapping: "aaa" holds (a, a) twice)."""
    counts: dict[tuple[int, int], int] = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def _merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` by ``new_id``, left to right, without overlaps."""
    out: list[int] = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _vocab(merges: list[tuple[bytes, bytes]]) -> list[bytes]:
    """vocab[i] = the bytes of token i: the 256 single bytes, then one token per merge."""
    vocab = [bytes([b]) for b in range(256)]
    vocab += [a + b for a, b in merges]
    return vocab


def train_bpe(text: str, vocab_size: int) -> list[tuple[bytes, bytes]]:
    """Learn byte-level BPE merges from ``text``.

    Start from the 256 single bytes; repeatedly merge the most frequent adjacent
    pair (ties: smallest (bytes_a, bytes_b)); stop at ``vocab_size`` tokens or
    when no pair occurs at least twice.

    Returns:
        The merges in learning order; merge k creates token id 256 + k.
    """
    ids = list(text.encode("utf-8"))
    vocab = [bytes([b]) for b in range(256)]
    merges: list[tuple[bytes, bytes]] = []
    while len(vocab) < vocab_size:
        counts = _pair_counts(ids)
        if not counts:
            break
        # Highest count first; among equal counts, the smallest pair of byte strings.
        best = min(counts, key=lambda p: (-counts[p], p))
        if counts[best] < 2:  # merging a pair seen once compresses nothing worth learning
            break
        merges.append((vocab[best[0]], vocab[best[1]]))
        vocab.append(vocab[best[0]] + vocab[best[1]])
        ids = _merge(ids, best, len(vocab) - 1)
    return merges


def encode(text: str, merges: list[tuple[bytes, bytes]]) -> list[int]:
    """Token ids of ``text``: its UTF-8 bytes with every merge applied in order."""
    ids = list(text.encode("utf-8"))
    token_id = {bytes([b]): b for b in range(256)}  # bytes -> id
    for k, (a, b) in enumerate(merges):
        new_id = 256 + k
        token_id[a + b] = new_id
        # Replaying merges in training order reproduces the training segmentation:
        # a later merge can never create a pair that an earlier merge wanted.
        ids = _merge(ids, (token_id[a], token_id[b]), new_id)
    return ids


def decode(ids: list[int], merges: list[tuple[bytes, bytes]]) -> str:
    """The text that ``encode`` turned into ``ids``."""
    vocab = _vocab(merges)
    # Join all bytes first: one emoji may be split over several tokens.
    return b"".join(vocab[i] for i in ids).decode("utf-8")
