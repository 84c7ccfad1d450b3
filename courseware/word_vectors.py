"""The recipe for the course's pre-trained word vectors: counts, PPMI and a truncated SVD of tiny Shakespeare.

Jobs have no network, so the embedding exercises cannot download GloVe or word2vec files; the
platform makes its own, the count-based way (Levy, Goldberg and Dagan, 2015, showed that PPMI
with an SVD and a few of word2vec's tricks does about as well as word2vec on word similarity):

1. **Tokens.** Each speech (a paragraph of the corpus) without its speaker line (``ROMEO:``),
   lowercased, split into words by ``[a-z]+(?:'[a-z]+)*`` (so ``know't`` and ``we'll`` stay whole).
2. **Vocabulary.** The ``VOCAB_SIZE`` most frequent words, ties broken alphabetically.
3. **Co-occurrences.** ``C[w, c]`` adds ``1 / d`` for every pair of vocabulary words ``d``
   positions apart (``d = 1..WINDOW``) inside one speech, both ways round, so ``C`` is symmetric.
   Words outside the vocabulary still take up their positions.
4. **Positive PMI** with context-distribution smoothing: ``max(0, log P(w, c) / (P(w) P_a(c)))``
   where ``P_a(c)`` is proportional to ``count(c) ** ALPHA`` (``ALPHA = 0.75``, word2vec's
   exponent for negative samples, which stops rare contexts from getting huge PMIs).
5. **Truncated SVD**, randomized (Halko, Martinsson and Tropp, 2011) with a fixed NumPy
   generator: ``PPMI ~ U S V^T`` keeping ``DIM`` components; the vectors are ``U * sqrt(S)``
   (the "symmetric" weighting that Levy et al. found better than ``U * S``). The sign of each
   component is fixed so that its largest-magnitude entry is positive (an SVD's signs are arbitrary).
   BLAS runs on one thread, as the other recipes do.

The rows are **not** normalised: a frequent word's vector is longer than a rare word's, so a
dot product and a cosine rank neighbours differently. Only NumPy is used (the web app imports
``courseware``; torch is imported by the exercises alone). A build takes a few CPU seconds and,
on one machine, gives the same bytes every time.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

VOCAB_SIZE = 5000
WINDOW = 4
"""Context words on each side, weighted 1/distance."""
ALPHA = 0.75
"""Context-distribution smoothing: P(c) is taken proportional to count(c) ** ALPHA."""
DIM = 100
OVERSAMPLE = 20
"""Extra random directions of the randomized SVD (it finds DIM + OVERSAMPLE, keeps DIM)."""
POWER_ITERATIONS = 4
SEED = 0
TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*")
SAMPLE_WORDS = ("king", "thou", "night", "father", "eyes")
SAMPLE_ANALOGIES = (("he", "him", "she"), ("i", "my", "he"), ("brother", "sister", "son"), ("i", "am", "thou"))
"""``(a, b, c)``: a is to b as c is to ?, answered in the build's facts (her, his, daughter, art)."""

README = """\
Word vectors of tiny Shakespeare, made by the course ({words} words, {dim} dimensions).

Files
  vocab.txt    one word per line, lowercase; line i is the word of row i (most frequent first)
  vectors.npy  NumPy array, float32, shape ({words}, {dim}): row i is the vector of line i
  MANIFEST.json  the recipe's version, what the build measured, and the SHA-256 of every file

Load with NumPy:
  words = Path("vocab.txt").read_text(encoding="utf-8").split("\\n")[:-1]
  vectors = np.load("vectors.npy")
or in torch: torch.from_numpy(np.load("vectors.npy")).

How they were made (courseware/word_vectors.py)
  1. Each speech without its speaker line, lowercased, split into words by the regular
     expression [a-z]+(?:'[a-z]+)* ; {tokens} words in {speeches} speeches.
  2. The {words} most frequent words (ties broken alphabetically).
  3. Co-occurrence counts: 1/d for two vocabulary words d = 1..{window} positions apart in a
     speech, both ways round.
  4. Positive pointwise mutual information, with the context probabilities taken
     proportional to count ** {alpha}.
  5. A randomized truncated SVD (NumPy, seed {seed}, {power} power iterations):
     vectors = U[:, :{dim}] * sqrt(S[:{dim}]), each column's sign chosen so that its
     largest-magnitude entry is positive.

The rows are NOT normalised to length 1: frequent words have longer vectors. Compare words with
the cosine similarity (normalise the rows first), not the raw dot product. Rare words (the
vocabulary goes down to words seen twice) have noisy vectors.
"""


def speeches(text: str) -> list[list[str]]:
    """The word tokens of every speech: paragraphs without their speaker line, lowercased."""
    result = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = paragraph.strip().splitlines()
        if lines and lines[0].rstrip().endswith(":"):
            lines = lines[1:]  # "First Citizen:", "KING RICHARD III:"
        tokens = TOKEN.findall(" ".join(lines).lower())
        if tokens:
            result.append(tokens)
    return result


def vocabulary(texts: list[list[str]], size: int = VOCAB_SIZE) -> list[str]:
    """The ``size`` most frequent words, most frequent first, ties broken alphabetically."""
    counts = Counter(token for tokens in texts for token in tokens)
    return [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]]


def cooccurrences(texts: list[list[str]], words: list[str], window: int = WINDOW):
    """(V, V) float64 matrix: 1/d for every pair of vocabulary words d <= window apart, both ways."""
    import numpy as np

    index = {w: i for i, w in enumerate(words)}
    size = len(words)
    rows, cols, weights = [], [], []
    for tokens in texts:
        ids = np.array([index.get(t, -1) for t in tokens], dtype=np.int64)
        for d in range(1, min(window, len(ids) - 1) + 1):
            left, right = ids[:-d], ids[d:]
            keep = (left >= 0) & (right >= 0)
            left, right = left[keep], right[keep]
            rows += [left, right]
            cols += [right, left]
            weights.append(np.full(2 * len(left), 1.0 / d))
    flat = np.concatenate(rows) * size + np.concatenate(cols)
    counts = np.bincount(flat, weights=np.concatenate(weights), minlength=size * size)
    return counts.reshape(size, size)


def ppmi(counts, alpha: float = ALPHA):
    """Positive PMI of a co-occurrence matrix, with context probabilities smoothed by ``alpha``."""
    import numpy as np

    total = counts.sum()
    p_word = counts.sum(axis=1) / total
    p_context = counts.sum(axis=0) ** alpha
    p_context /= p_context.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(counts / total) - np.log(p_word)[:, None] - np.log(p_context)[None, :]
    return np.where(counts > 0, np.maximum(pmi, 0.0), 0.0)


def truncated_svd(matrix, dim: int, seed: int = SEED):
    """The ``dim`` leading singular triples ``U (n, dim), S (dim,)`` of ``matrix`` by a randomized SVD."""
    import numpy as np

    generator = np.random.default_rng(seed)
    q = matrix @ generator.standard_normal((matrix.shape[1], dim + OVERSAMPLE))
    for _ in range(POWER_ITERATIONS):  # sharpens the spectrum: the leading directions dominate
        q, _ = np.linalg.qr(q)
        q = matrix @ (matrix.T @ q)
    q, _ = np.linalg.qr(q)
    u_small, s, _ = np.linalg.svd(q.T @ matrix, full_matrices=False)
    return (q @ u_small)[:, :dim], s[:dim]


def word_vectors(texts: list[list[str]], size: int = VOCAB_SIZE, window: int = WINDOW, dim: int = DIM):
    """(words, vectors (V, dim) float32, singular values) of the recipe above."""
    import numpy as np

    words = vocabulary(texts, size)
    u, s = truncated_svd(ppmi(cooccurrences(texts, words, window)), dim)
    vectors = u * np.sqrt(s)
    biggest = np.abs(vectors).argmax(axis=0)
    vectors *= np.sign(vectors[biggest, np.arange(dim)])
    return words, vectors.astype(np.float32), s


def _unit(vectors):
    import numpy as np

    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def neighbours(word: str, words: list[str], vectors, k: int = 5) -> list[str]:
    """The ``k`` words of highest cosine similarity to ``word`` (itself excluded)."""
    import numpy as np

    unit = _unit(vectors.astype(np.float64))
    i = words.index(word)
    scores = unit @ unit[i]
    scores[i] = -np.inf
    return [words[j] for j in np.argsort(-scores, kind="stable")[:k]]


def analogy(a: str, b: str, c: str, words: list[str], vectors, k: int = 3) -> list[str]:
    """Words closest (cosine) to unit(b) - unit(a) + unit(c), without a, b and c."""
    import numpy as np

    unit = _unit(vectors.astype(np.float64))
    index = {w: i for i, w in enumerate(words)}
    scores = unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
    scores[[index[a], index[b], index[c]]] = -np.inf
    return [words[j] for j in np.argsort(-scores, kind="stable")[:k]]


def _one_thread():
    """BLAS on one thread while the recipe runs: the same sums in the same order (the same bytes),
    and much faster on a busy machine, where OpenBLAS's threads wait for each other."""
    from threadpoolctl import threadpool_limits  # pinned in requirements.txt

    return threadpool_limits(limits=1, user_api="blas")


def build(corpus: Path, out_dir: Path) -> dict:
    """Make ``vectors.npy``, ``vocab.txt`` and ``README.txt`` in ``out_dir``; returns what it measured."""
    import numpy as np

    texts = speeches(corpus.read_text(encoding="utf-8"))
    with _one_thread():
        words, vectors, singular = word_vectors(texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "vectors.npy", vectors)
    (out_dir / "vocab.txt").write_text("".join(w + "\n" for w in words), encoding="utf-8")
    tokens = sum(len(t) for t in texts)
    (out_dir / "README.txt").write_text(README.format(
        words=len(words), dim=vectors.shape[1], tokens=tokens, speeches=len(texts), window=WINDOW, alpha=ALPHA,
        seed=SEED, power=POWER_ITERATIONS), encoding="utf-8")
    return {
        "words": len(words), "dim": int(vectors.shape[1]), "window": WINDOW, "alpha": ALPHA,
        "tokens": tokens, "speeches": len(texts),
        "singular_values_top": [round(float(v), 2) for v in singular[:5]],
        "neighbours": {w: neighbours(w, words, vectors) for w in SAMPLE_WORDS},
        "analogies": {f"{b} - {a} + {c}": analogy(a, b, c, words, vectors)[0] for a, b, c in SAMPLE_ANALOGIES},
    }
