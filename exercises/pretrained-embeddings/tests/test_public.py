"""Public tests for using pre-trained word vectors: run by *Run* and shown to the learner."""
import math

import torch

import embedding_reference as ref
from course_harness import artifacts, assert_tensor_close

QUERIES = ["king", "thou", "night", "eyes", "father", "romeo"]
ANALOGIES = [("he", "him", "she"), ("i", "my", "he"), ("brother", "sister", "son"), ("i", "am", "thou")]


def test_load_vectors_returns_the_files_rows():
    words, vectors = ref.learner_files()
    file_words, file_vectors = ref.files()
    assert all(isinstance(w, str) for w in words[:10]), "the words should be strings (the lines of vocab.txt)."
    assert len(words) == len(file_words), (
        f"load_vectors gave {len(words)} words; vocab.txt has {len(file_words)} lines (one word each, no header; "
        "mind a trailing empty line).")
    wrong = [(i, w, f) for i, (w, f) in enumerate(zip(words, file_words)) if w != f]
    assert not wrong, (f"word {wrong[0][0]} should be {wrong[0][2]!r} (line {wrong[0][0] + 1} of vocab.txt), got "
                       f"{wrong[0][1]!r}: keep the file's order, since row i of vectors.npy belongs to line i.")
    assert_tensor_close(vectors, file_vectors, atol=0, rtol=0,
                        name="the vectors returned by load_vectors (expected: vectors.npy as a float32 tensor)")
    king = words.index("king")
    assert_tensor_close(vectors[king], file_vectors[ref.index()["king"]], atol=0, rtol=0,
                        name="the row of 'king'")


def test_nearest_neighbours_by_cosine_similarity():
    words, vectors = ref.files()
    report = []
    for query in QUERIES:
        result = ref.fn("nearest")(query, list(words), vectors.clone(), 5)
        ref.check_ranking(result, ref.cosines_to(query), 5, [query], f"nearest({query!r}, words, vectors, k=5)",
                          f"cosine similarity with {query!r}")
        report.append(f"{query:>8s}: " + ", ".join(f"{w} {float(s):.3f}" for w, s in result))
    artifacts().text("nearest neighbours (cosine similarity)", "\n".join(report + [
        "",
        "Neighbours share contexts in tiny Shakespeare, not necessarily meaning: 'king' sits with 'henry'",
        "and 'vi' because the history plays say 'King Henry the Sixth' again and again.",
    ]))
    shown = ["king", "queen", "prince", "duke", "thou", "thee", "thy", "night", "day", "eyes", "tears", "heart"]
    u = ref.unit()[[ref.index()[w] for w in shown]]
    artifacts().heatmap("cosine similarity of a few words", u @ u.T, x_labels=shown, y_labels=shown)


def test_analogies_answer_with_the_closest_word():
    words, vectors = ref.files()
    report = []
    for a, b, c in ANALOGIES:
        result = ref.fn("analogy")(a, b, c, list(words), vectors.clone(), 3)
        ref.check_ranking(result, ref.analogy_scores(a, b, c), 3, [a, b, c],
                          f"analogy({a!r}, {b!r}, {c!r}, words, vectors, k=3)",
                          f"cosine similarity with unit({b}) - unit({a}) + unit({c})")
        report.append(f"{a} : {b} = {c} : ?   " + ", ".join(f"{w} {float(s):.3f}" for w, s in result))
    artifacts().text("analogies (b - a + c)", "\n".join(report))


def test_padding_does_not_change_the_prediction():
    ids, lengths, _ = ref.data()["held-out words"]
    ids, lengths = ids[:6], lengths[:6]
    torch.manual_seed(0)
    model = ref.fn("EmbeddingBagClassifier")(ref.files()[1].clone(), len(ref.CLASSES))
    model.eval()
    with torch.no_grad():
        batched = model(ids, lengths)
        if not isinstance(batched, torch.Tensor) or tuple(batched.shape) != (6, len(ref.CLASSES)):
            raise AssertionError(f"EmbeddingBagClassifier(vectors, 3)(ids, lengths) for 6 texts should return "
                                 f"logits of shape (6, 3).")
        for row in range(6):
            n = int(lengths[row])
            alone = model(ids[row:row + 1, :n], lengths[row:row + 1])[0]
            assert_tensor_close(batched[row], alone, atol=1e-5, name=(
                f"the logits of text {row} ({n} words) in a batch padded to {ids.shape[1]} vs alone (the pads hold "
                "id 0, the word 'the': average over the first `length` positions only, and divide by the length)"))


def test_frozen_embedding_keeps_the_file_vectors_after_training():
    model, losses = ref.trained(pretrained=True)
    artifacts().line("training loss (frozen pre-trained vectors)", losses, x_label="step", y_label="cross-entropy")
    assert all(math.isfinite(v) for v in losses), "the loss became NaN or inf: lower the learning rate."
    weight = ref.embedding_weight(model)
    assert not weight.requires_grad, (
        "the pre-trained embedding should be frozen (requires_grad False): nn.Embedding.from_pretrained(vectors, "
        "freeze=True).")
    assert_tensor_close(weight.detach(), ref.files()[1], atol=0, rtol=0,
                        name="the embedding weights after training (expected: exactly the rows of vectors.npy)")
    accuracy = ref.accuracy(model, "held-out words")
    assert accuracy >= ref.HELD_OUT_ACCURACY, (
        f"with frozen pre-trained vectors the classifier is right on {accuracy:.1%} of the texts made of words it "
        f"never saw in training; it should reach {ref.HELD_OUT_ACCURACY:.0%}. Check the mean over the real words "
        "and that training lowers the loss.")


def test_pretrained_vectors_help_on_words_never_seen_in_training():
    rows = {}
    for pretrained in (True, False):
        model, losses = ref.trained(pretrained)
        rows[pretrained] = [ref.accuracy(model, split) for split in ("train", "seen words", "held-out words")]
    _, random_losses = ref.trained(False)
    artifacts().line("training loss (random trainable embeddings)", random_losses, x_label="step",
                     y_label="cross-entropy")
    header = f"{'embeddings':32s}{'train (60)':>12s}{'seen words':>12s}{'held-out words':>16s}"
    table = [header] + [f"{label:32s}" + "".join(f"{a:>{w}.1%}" for a, w in zip(rows[p], (12, 12, 16)))
                        for label, p in (("pre-trained, frozen", True), ("random, trained", False))]
    artifacts().text("accuracy: pre-trained vs random embeddings", "\n".join(table + [
        "",
        "Both learn the 60 training texts. Only the pre-trained vectors carry over to words the classifier never",
        "saw with a label: 'cheek' lies near 'face' and 'hand' because the corpus uses them alike, while a",
        "random vector for 'cheek' is never trained and says nothing.",
    ]))
    marks = {w: name[0].upper() for name, (seen, _) in ref.CLASSES.items() for w in seen}
    marks.update({w: name[0].lower() for name, (_, held_out) in ref.CLASSES.items() for w in held_out})
    legend = ", ".join(f"{name[0].upper()}/{name[0]} = {name}" for name in ref.CLASSES)
    artifacts().text("PCA map of the classes' words", ref.pca_map(list(marks), marks) + "\n\n" + legend +
                     " (capital: a training word, small: a held-out word)")
    assert rows[False][0] >= 0.9, (
        f"with random trainable embeddings the classifier fits only {rows[False][0]:.1%} of its 60 training texts; "
        "it should fit at least 90 % (are the embeddings trainable when pretrained=False?).")
    assert rows[True][2] >= rows[False][2] + 0.2, (
        f"on texts of held-out words the pre-trained classifier reached {rows[True][2]:.1%} and the random one "
        f"{rows[False][2]:.1%}; the pre-trained vectors should do clearly better (by 20 points).")
