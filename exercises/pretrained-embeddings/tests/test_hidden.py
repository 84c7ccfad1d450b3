"""Hidden tests for using pre-trained word vectors: other words, edge cases and the classifier's inside."""
import random

import pytest
import torch
from torch import nn

import embedding_reference as ref
from course_harness import assert_tensor_close, is_instance

MORE_ANALOGIES = [("i", "me", "we"), ("i", "my", "we"), ("he", "his", "they"), ("king", "queen", "man"),
                  ("thou", "thee", "he"), ("we", "are", "thou")]


def test_nearest_for_other_words_and_other_k():
    words, vectors = ref.files()
    rng = random.Random(7)
    queries = rng.sample(words[30:1500], 8) + ["lord", "blood"]
    for query, k in zip(queries, [1, 2, 3, 4, 6, 8, 10, 12, 3, 7]):
        result = ref.fn("nearest")(query, list(words), vectors.clone(), k)
        ref.check_ranking(result, ref.cosines_to(query), k, [query], f"nearest({query!r}, words, vectors, k={k})",
                          f"cosine similarity with {query!r}")


def test_nearest_works_on_any_vectors_given():
    # A made-up vocabulary of 5 words in 3-D: the function must use what it is given, not the files.
    words = ["a", "b", "c", "d", "e"]
    vectors = torch.tensor([[1.0, 0.0, 0.0], [10.0, 10.0, 0.0], [0.0, 2.0, 0.0], [0.5, 0.05, 0.0], [-3.0, 0.0, 1.0]])
    result = ref.fn("nearest")("a", words, vectors.clone(), 4)
    got = [(w, round(float(s), 4)) for w, s in result]
    # Cosines with a = (1, 0, 0): d 0.995, b 0.7071, c 0, e -0.9487. The dot product would put the long b first.
    expected = [("d", 0.995), ("b", 0.7071), ("c", 0.0), ("e", -0.9487)]
    assert [w for w, _ in got] == [w for w, _ in expected] and all(
        abs(s - t) < 1e-4 for (_, s), (_, t) in zip(got, expected)), (
        f"nearest('a', {words}, vectors, k=4) on five 3-D vectors: expected {expected}, got {got}.")


def test_unknown_word_raises_key_error():
    words, vectors = ref.files()
    with pytest.raises(KeyError):
        ref.fn("nearest")("zzyzx", list(words), vectors.clone(), 3)
    with pytest.raises(KeyError):
        ref.fn("analogy")("he", "him", "zzyzx", list(words), vectors.clone(), 1)


def test_analogy_leaves_out_its_three_words():
    words, vectors = ref.files()
    for a, b, c in MORE_ANALOGIES:
        result = ref.fn("analogy")(a, b, c, list(words), vectors.clone(), 5)
        ref.check_ranking(result, ref.analogy_scores(a, b, c), 5, [a, b, c],
                          f"analogy({a!r}, {b!r}, {c!r}, words, vectors, k=5)",
                          f"cosine similarity with unit({b}) - unit({a}) + unit({c})")
    default = ref.fn("analogy")("he", "him", "she", list(words), vectors.clone())
    assert len(default) == 1 and default[0][0] == ref.best(ref.analogy_scores("he", "him", "she"), 1,
                                                          ["he", "him", "she"])[0][0], (
        f"analogy('he', 'him', 'she', words, vectors) with the default k=1 should return one pair, got {default}.")


def test_pretrained_layer_is_the_files_rows_and_needs_no_gradient():
    vectors = ref.files()[1]
    model = ref.fn("EmbeddingBagClassifier")(vectors.clone(), 3)
    weight = ref.embedding_weight(model)
    assert is_instance(model.embedding, nn.Embedding) or is_instance(model.embedding, nn.EmbeddingBag), (
        "`self.embedding` should be an nn.Embedding (or an nn.EmbeddingBag).")
    assert_tensor_close(weight.detach(), vectors, atol=0, rtol=0,
                        name="EmbeddingBagClassifier(vectors, 3).embedding.weight (expected: the vectors given)")
    assert not weight.requires_grad, "with pretrained=True the embedding must be frozen (requires_grad False)."
    torch.manual_seed(1)
    scratch = ref.fn("EmbeddingBagClassifier")(vectors.clone(), 3, pretrained=False)
    weight = ref.embedding_weight(scratch)
    assert tuple(weight.shape) == tuple(vectors.shape) and weight.requires_grad, (
        "with pretrained=False the embedding should be a trainable (requires_grad) table of the same shape "
        f"{tuple(vectors.shape)}, got shape {tuple(weight.shape)}, requires_grad {weight.requires_grad}.")
    assert not torch.equal(weight.detach(), vectors), "with pretrained=False the embedding should start random."


def test_classifier_is_the_mean_of_the_word_vectors_then_one_linear_layer():
    model, _ = ref.trained(pretrained=True)
    linear = getattr(model, "linear", None)
    if not isinstance(getattr(linear, "weight", None), torch.Tensor):
        raise AssertionError("EmbeddingBagClassifier should keep its output layer as `self.linear` (an nn.Linear).")
    ids, lengths, _ = ref.data()["held-out words"]
    ids, lengths = ids[:20], lengths[:20]
    rows = ref.files()[1][ids]                                              # (20, T, D)
    mask = (torch.arange(ids.shape[1]) < lengths[:, None]).unsqueeze(-1)
    mean = (rows * mask).sum(dim=1) / lengths[:, None]                      # (20, D)
    expected = mean @ linear.weight.detach().T + linear.bias.detach()
    with torch.no_grad():
        got = model(ids, lengths)
    assert_tensor_close(got, expected, atol=1e-4, rtol=1e-4,
                        name="the trained classifier's logits for 20 texts (expected: linear(mean of the texts' "
                             "word vectors from the file))")


def test_training_leaves_the_frozen_rows_alone_even_for_words_it_trained_on():
    model, _ = ref.trained(pretrained=True)
    weight = ref.embedding_weight(model).detach()
    seen = [ref.index()[w] for training_words, _ in ref.CLASSES.values() for w in training_words]
    assert_tensor_close(weight[seen], ref.files()[1][seen], atol=0, rtol=0,
                        name="the rows of the training words after training (a frozen layer never changes)")
