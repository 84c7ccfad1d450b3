def train_bpe(text: str, vocab_size: int) -> list[tuple[bytes, bytes]]:
    """Learn byte-level BPE merges from ``text``.

    Start from the 256 single bytes; repeatedly merge the most frequent adjacent
    pair (ties: smallest (bytes_a, bytes_b)); stop at ``vocab_size`` tokens or
    when no pair occurs at least twice.

    Returns:
        The merges in learning order; merge k creates token id 256 + k.
    """
    raise NotImplementedError("count adjacent pairs of byte ids, merge the most frequent one, repeat")


def encode(text: str, merges: list[tuple[bytes, bytes]]) -> list[int]:
    """Token ids of ``text``: its UTF-8 bytes with every merge applied in order."""
    raise NotImplementedError("start from list(text.encode('utf-8')) and apply merges[0], merges[1], ...")


def decode(ids: list[int], merges: list[tuple[bytes, bytes]]) -> str:
    """The text that ``encode`` turned into ``ids``."""
    raise NotImplementedError("map each id to its bytes, join them, decode UTF-8")
