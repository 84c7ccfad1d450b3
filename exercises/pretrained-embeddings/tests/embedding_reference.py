"""The tests' own reading of the course's word vectors, reference answers, and the labelled sentences.

The learner's functions run in their own process; everything here runs in the judge, on the same
read-only files, so every value the learner returns is compared with the vectors themselves.
"""
import functools
import random
from pathlib import Path

import numpy as np
import torch

from course_harness import get_function, pretrained_path

SIGNATURES = {
    "load_vectors": "load_vectors(folder: str) -> tuple[list[str], torch.Tensor]",
    "nearest": "nearest(word, words, vectors, k=5) -> list[tuple[str, float]]",
    "analogy": "analogy(a, b, c, words, vectors, k=1) -> list[tuple[str, float]]",
    "EmbeddingBagClassifier": "class EmbeddingBagClassifier(nn.Module): __init__(vectors, num_classes, "
                              "pretrained=True); forward(ids, lengths)",
    "train_classifier": "train_classifier(model, ids, lengths, labels, ...) -> list[float]",
}
SCORE_ATOL = 1e-5
"""How far a returned similarity may be from the tests' float64 cosine (float32 arithmetic is fine)."""

# Three kinds of words. The classifier is trained on sentences made with the SEEN words only and tested
# on sentences made with the HELD-OUT words only: words it never met with a label.
CLASSES = {
    "rank": (["king", "queen", "duke", "lord", "prince", "earl"],
             ["lady", "princess", "sovereign", "majesty", "knight", "bishop", "marquess", "monarch", "nobles",
              "lords", "peers", "gentleman", "noble"]),
    "body": (["hand", "eye", "heart", "head", "face", "tongue"],
             ["lips", "cheek", "arm", "breast", "ear", "brow", "knee", "foot", "hair", "teeth", "bosom", "finger",
              "shoulder", "neck"]),
    "time": (["day", "night", "hour", "morning", "year", "week"],
             ["month", "noon", "midnight", "tonight", "minute", "years", "days", "hours", "months", "nights",
              "morrow", "summer"]),
}
FILLERS = ["the", "my", "his", "her", "and", "of", "to", "with", "in", "that", "this", "our", "thy", "a", "upon",
           "for", "by", "your"]
TRAIN_SENTENCES = 60
TEST_SENTENCES = 300
HELD_OUT_ACCURACY = 0.75


def fn(name):
    return get_function(name, SIGNATURES[name])


def folder() -> str:
    """The installed word vectors (fails the test with the admin's command when they are not built)."""
    return str(pretrained_path("word-vectors"))


@functools.cache
def files() -> tuple[list[str], torch.Tensor]:
    """(words, vectors) straight from the files: vocab.txt line i is the word of row i of vectors.npy."""
    path = Path(folder())
    words = (path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vectors = torch.from_numpy(np.load(path / "vectors.npy"))
    return words, vectors


@functools.cache
def index() -> dict[str, int]:
    return {w: i for i, w in enumerate(files()[0])}


@functools.cache
def unit() -> torch.Tensor:
    """The rows as float64 unit vectors."""
    vectors = files()[1].double()
    return vectors / vectors.norm(dim=1, keepdim=True)


def learner_files() -> tuple[list[str], torch.Tensor]:
    """The learner's own loading of the folder (as a list and a tensor), checked only for its kind here."""
    result = fn("load_vectors")(folder())
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError(f"load_vectors should return (words, vectors), got {type(result).__name__}.")
    return list(result[0]), result[1]


def cosines_to(word: str) -> torch.Tensor:
    """(V,) float64 cosine similarity of every word with ``word``."""
    return unit() @ unit()[index()[word]]


def analogy_scores(a: str, b: str, c: str) -> torch.Tensor:
    """(V,) float64 cosine similarity of every word with unit(b) - unit(a) + unit(c)."""
    u, i = unit(), index()
    query = u[i[b]] - u[i[a]] + u[i[c]]
    return u @ (query / query.norm())


def best(scores: torch.Tensor, k: int, exclude: list[str]) -> list[tuple[str, float]]:
    """The reference answer: the k highest scores without the excluded words."""
    scores = scores.clone()
    scores[[index()[w] for w in exclude]] = float("-inf")
    values, ids = torch.topk(scores, k)
    return [(files()[0][i], round(float(v), 4)) for v, i in zip(values.tolist(), ids.tolist())]


def check_ranking(result, scores: torch.Tensor, k: int, exclude: list[str], call: str, what: str) -> None:
    """``result`` must be k (word, score) pairs, best first, each score the word's reference score, none of
    ``exclude``, and no better word left out (near-ties within SCORE_ATOL may come in either order)."""
    expected = best(scores, k, exclude)
    shown = f"\n  expected (rounded): {expected}\n  got: {_short(result)}"
    if not isinstance(result, (list, tuple)) or len(result) != k:
        raise AssertionError(f"{call} should return a list of {k} (word, score) pairs.{shown}")
    pairs = []
    for item in result:
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)):
            raise AssertionError(f"{call}: every item should be a (word, score) pair, got {item!r:.60}.{shown}")
        pairs.append((item[0], float(item[1])))
    words = [w for w, _ in pairs]
    for w in words:
        if w in exclude:
            raise AssertionError(f"{call} returned {w!r}, which must be left out ({', '.join(exclude)}).{shown}")
        if w not in index():
            raise AssertionError(f"{call} returned {w!r}, which is not a word of vocab.txt.{shown}")
    if len(set(words)) != len(words):
        raise AssertionError(f"{call} returned a word twice.{shown}")
    for w, s in pairs:
        truth = float(scores[index()[w]])
        if abs(s - truth) > SCORE_ATOL:
            raise AssertionError(f"{call}: the score of {w!r} is {s:.6f}, but its {what} is {truth:.6f}.{shown}")
    values = [s for _, s in pairs]
    if any(later > earlier + SCORE_ATOL for earlier, later in zip(values, values[1:])):
        raise AssertionError(f"{call} should list the most similar word first (scores in decreasing order).{shown}")
    kth = expected[-1][0]
    if min(float(scores[index()[w]]) for w in words) < float(scores[index()[kth]]) - SCORE_ATOL:
        missing = [w for w, _ in expected if w not in words]
        raise AssertionError(f"{call} left out {missing}, which score higher than some of the words returned."
                             f"{shown}")


def _short(result) -> str:
    try:
        return str([(w, round(float(s), 4)) for w, s in result])
    except (TypeError, ValueError):
        return f"{result!r:.200}"


def make_sentences(n: int, seed: int, held_out: bool) -> list[tuple[list[str], int]]:
    """``n`` (words, label) pairs: 2-3 words of one class mixed with 2-4 fillers, labels 0, 1, 2 in turn."""
    rng = random.Random(seed)
    names = list(CLASSES)
    sentences = []
    for i in range(n):
        label = i % len(names)
        pool = CLASSES[names[label]][1 if held_out else 0]
        tokens = [rng.choice(pool) for _ in range(rng.randint(2, 3))]
        tokens += [rng.choice(FILLERS) for _ in range(rng.randint(2, 4))]
        rng.shuffle(tokens)
        sentences.append((tokens, label))
    return sentences


def encode(sentences: list[tuple[list[str], int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ids (B, T) right-padded with 0 (which is a real word, "the"), lengths (B,), labels (B,)."""
    lengths = torch.tensor([len(tokens) for tokens, _ in sentences])
    ids = torch.zeros(len(sentences), int(lengths.max()), dtype=torch.long)
    for row, (tokens, _) in enumerate(sentences):
        ids[row, :len(tokens)] = torch.tensor([index()[w] for w in tokens])
    return ids, lengths, torch.tensor([label for _, label in sentences])


@functools.cache
def data() -> dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    missing = [w for seen, held in CLASSES.values() for w in seen + held + FILLERS if w not in index()]
    if missing:
        raise AssertionError(f"the installed word vectors lack {missing}: an admin must rebuild them with "
                             "`python -m courseware models build word-vectors --force`.")
    return {"train": encode(make_sentences(TRAIN_SENTENCES, 0, held_out=False)),
            "seen words": encode(make_sentences(TEST_SENTENCES, 1, held_out=False)),
            "held-out words": encode(make_sentences(TEST_SENTENCES, 2, held_out=True))}


def accuracy(model, split: str) -> float:
    ids, lengths, labels = data()[split]
    model.eval()
    with torch.no_grad():
        logits = model(ids, lengths)
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (len(labels), len(CLASSES)):
        raise AssertionError(f"the classifier should return logits of shape ({len(labels)}, {len(CLASSES)}), got "
                             f"{tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__}.")
    return float((logits.argmax(dim=1) == labels).float().mean())


_TRAINED = {}


def trained(pretrained: bool):
    """(model, losses): the learner's classifier trained with the learner's defaults (seed 0), once per run."""
    if pretrained not in _TRAINED:
        ids, lengths, labels = data()["train"]
        torch.manual_seed(0)
        # A copy: from_pretrained shares the tensor it is given, and the tests keep their own.
        model = fn("EmbeddingBagClassifier")(files()[1].clone(), len(CLASSES), pretrained=pretrained)
        losses = fn("train_classifier")(model, ids, lengths, labels)
        if not isinstance(losses, (list, tuple)) or not losses:
            raise AssertionError(f"train_classifier should return a non-empty list of losses, got {losses!r:.60}.")
        _TRAINED[pretrained] = model, [float(v) for v in losses]
    return _TRAINED[pretrained]


def embedding_weight(model) -> torch.Tensor:
    embedding = getattr(model, "embedding", None)
    weight = getattr(embedding, "weight", None)
    if not isinstance(weight, torch.Tensor):
        raise AssertionError("EmbeddingBagClassifier should keep its embedding layer as `self.embedding` "
                             "(an nn.Embedding, or an nn.EmbeddingBag).")
    return weight


def pca_map(words: list[str], marks: dict[str, str], width: int = 64, height: int = 18) -> str:
    """A text scatter plot of the words' unit vectors projected on their first two principal components."""
    points = unit()[[index()[w] for w in words]]
    centred = points - points.mean(dim=0)
    _, s, vt = torch.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    explained = (s[:2] ** 2 / (s ** 2).sum()).tolist()
    grid = [[" "] * width for _ in range(height)]
    lo, hi = xy.min(dim=0).values, xy.max(dim=0).values
    span = (hi - lo).clamp_min(1e-9)
    for w, (x, y) in zip(words, xy.tolist()):
        grid[int((float(hi[1]) - y) / float(span[1]) * (height - 1))][
            int((x - float(lo[0])) / float(span[0]) * (width - 1))] = marks[w]
    lines = [f"First two principal components of {len(words)} unit word vectors "
             f"({explained[0]:.0%} and {explained[1]:.0%} of their variance).", ""]
    lines += ["+" + "-" * width + "+"] + ["|" + "".join(r) + "|" for r in grid] + ["+" + "-" * width + "+"]
    return "\n".join(lines)
