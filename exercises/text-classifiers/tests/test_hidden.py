"""Hidden tests for the text classifiers: edge cases, run only on *Submit*."""
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "build_vocab": "build_vocab(sentences: list[str], min_freq: int = 1) -> dict[str, int]",
    "encode": "encode(sentences: list[str], vocab: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]",
    "BagOfEmbeddings": "class BagOfEmbeddings(nn.Module): __init__(vocab_size, embed_dim=32, num_classes=2)",
    "GRUClassifier": "class GRUClassifier(nn.Module): __init__(vocab_size, embed_dim=32, hidden_size=32, "
                     "num_classes=2)",
    "CNNClassifier": "class CNNClassifier(nn.Module): __init__(vocab_size, embed_dim=32, num_classes=2, "
                     "num_filters=32, kernel_sizes=(3, 5))",
}
MODELS = ("BagOfEmbeddings", "GRUClassifier", "CNNClassifier")
SENTENCES = ["the plot was not good", "awful", "what a truly wonderful film from start to finish",
             "i did not find the cast charming", "so dull"]


def fn(name):
    return get_function(name, SIGNATURES[name])


def vocab_and_batch(sentences=SENTENCES):
    vocab = fn("build_vocab")(SENTENCES)
    ids, lengths = fn("encode")(sentences, vocab)
    return vocab, ids, lengths


def test_min_freq_drops_rare_words_to_unk():
    vocab = fn("build_vocab")(["a a b", "a c", "c d"], min_freq=2)
    assert set(vocab) == {"<pad>", "<unk>", "a", "c"}, (
        f"build_vocab(..., min_freq=2) should keep only words seen at least twice (a, c) plus <pad> and <unk>, "
        f"got {sorted(vocab)}.")
    ids, lengths = fn("encode")(["B a zzz C"], vocab)
    expected = torch.tensor([[1, vocab["a"], 1, vocab["c"]]])
    assert_tensor_close(ids, expected, atol=0, rtol=0,
                        name="encode(['B a zzz C'], vocab) (lowercase first; rare or unseen words become <unk> = 1)")


def test_one_word_reviews_work_with_wide_kernels():
    vocab, ids, lengths = vocab_and_batch(["awful", "so dull"])
    for name, kwargs in (("BagOfEmbeddings", {}), ("GRUClassifier", {}),
                         ("CNNClassifier", {"kernel_sizes": (3, 5, 7)})):
        torch.manual_seed(0)
        model = fn(name)(len(vocab), **kwargs).eval()
        with torch.no_grad():
            out = model(ids[:1, :1], lengths[:1])        # a batch holding one review of one word
        assert isinstance(out, torch.Tensor) and tuple(out.shape) == (1, 2), (
            f"{name}{kwargs or ''} on a single one-word review should give logits of shape (1, 2), got "
            f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}. Pad the convolution "
            "(padding=k // 2) so that reviews shorter than the kernel still produce features.")
        assert bool(torch.isfinite(out).all()), f"{name} gave NaN/inf logits for a one-word review."


def test_constructor_arguments_are_respected():
    vocab, ids, lengths = vocab_and_batch()
    for model in (fn("BagOfEmbeddings")(len(vocab), embed_dim=8, num_classes=3),
                  fn("GRUClassifier")(len(vocab), embed_dim=8, hidden_size=6, num_classes=3),
                  fn("CNNClassifier")(len(vocab), embed_dim=8, num_classes=3, num_filters=4, kernel_sizes=(3,))):
        model.eval()
        with torch.no_grad():
            out = model(ids, lengths)
        assert isinstance(out, torch.Tensor) and tuple(out.shape) == (len(SENTENCES), 3), (
            f"{type(model).__name__}(..., num_classes=3) should give logits of shape ({len(SENTENCES)}, 3), got "
            f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}.")


def test_a_very_long_neighbour_does_not_change_short_reviews():
    long_review = " ".join(["the film was quite good and the plot was not dull"] * 4)   # 44 words
    vocab, ids, lengths = vocab_and_batch(SENTENCES + [long_review])
    for name in MODELS:
        torch.manual_seed(0)
        model = fn(name)(len(vocab)).eval()
        with torch.no_grad():
            batched = model(ids, lengths)
            for i, sentence in enumerate(SENTENCES):
                alone_ids, alone_len = fn("encode")([sentence], vocab)
                assert_tensor_close(batched[i], model(alone_ids, alone_len)[0], atol=1e-5,
                                    name=f"{name}'s logits for {sentence!r} padded to 44 words vs alone")


def test_padding_gets_no_gradient():
    vocab, ids, lengths = vocab_and_batch()
    for name in MODELS:
        torch.manual_seed(0)
        model = fn(name)(len(vocab))
        tables = [m for m in model.modules() if isinstance(m, (nn.Embedding, nn.EmbeddingBag))]
        if not tables:
            raise AssertionError(f"{name} should hold its word vectors in an nn.Embedding (or nn.EmbeddingBag).")
        model.eval()
        F.cross_entropy(model(ids, lengths), torch.tensor([0, 0, 1, 0, 0])).backward()
        grad = tables[0].weight.grad
        pad_grad = 0.0 if grad is None else float(grad[0].abs().max())
        assert pad_grad == 0.0, (
            f"the <pad> row (id 0) of {name}'s embedding received a gradient of size {pad_grad:.3g}: padding "
            "positions are influencing the output. Mask them out (or use padding_idx=0 and exclude them from "
            "the mean and the max).")


def test_cnn_matches_a_reference_built_from_its_layers():
    # Recompute the CNN with its own layers: embedding -> (B, E, T) -> each Conv1d -> ReLU -> max over the real
    # positions -> concatenate (in the order of kernel_sizes) -> the last nn.Linear.
    vocab, ids, lengths = vocab_and_batch()
    torch.manual_seed(0)
    model = fn("CNNClassifier")(len(vocab), kernel_sizes=(3, 5)).eval()
    tables = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not tables or len(convs) != 2 or not linears:
        raise AssertionError("CNNClassifier(..., kernel_sizes=(3, 5)) should hold an nn.Embedding, one nn.Conv1d per "
                             f"kernel size (found {len(convs)}) and a final nn.Linear.")
    with torch.no_grad():
        mask = torch.arange(ids.shape[1]) < lengths[:, None]                       # (B, T)
        x = (tables[0](ids) * mask.unsqueeze(-1)).transpose(1, 2)                # (B, E, T)
        pooled = [F.relu(conv(x)).masked_fill(~mask.unsqueeze(1), float("-inf")).amax(dim=2) for conv in convs]
        expected = linears[-1](torch.cat(pooled, dim=1))
        got = model(ids, lengths)
    assert_tensor_close(got, expected, atol=1e-5,
                        name="CNNClassifier's logits in eval mode (expected: embeddings transposed to (B, E, T), "
                             "each Conv1d, ReLU, max over the real positions, concatenated, then the final Linear)")


def test_gru_matches_a_reference_gru_with_its_weights():
    # Copy the learner's weights into a reference nn.GRU and run it over each review ALONE (no padding at all):
    # the learner's logits for the padded batch (lengths 5, 1, 9, 7, 2: unsorted) must be the reference's
    # final state after the last real word, through the last nn.Linear.
    vocab, ids, lengths = vocab_and_batch()
    torch.manual_seed(0)
    model = fn("GRUClassifier")(len(vocab), embed_dim=16, hidden_size=12).eval()
    tables = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    grus = [m for m in model.modules() if isinstance(m, (nn.GRU, nn.GRUCell))]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if len(tables) != 1 or len(grus) != 1 or not linears:
        raise AssertionError("GRUClassifier should hold one nn.Embedding, one nn.GRU (or one nn.GRUCell stepped by "
                             f"hand; found {len(grus)}) and a final nn.Linear.")
    gru, suffix = grus[0], ("_l0" if isinstance(grus[0], nn.GRU) else "")
    reference = nn.GRU(16, 12, batch_first=True)
    with torch.no_grad():
        for weight in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            mine = getattr(gru, weight + suffix, None)
            wanted = getattr(reference, weight + "_l0")
            if not isinstance(mine, torch.Tensor) or tuple(mine.shape) != tuple(wanted.shape):
                raise AssertionError(f"GRUClassifier(..., embed_dim=16, hidden_size=12) should hold a one-layer, "
                                     f"one-direction GRU of input size 16 and hidden size 12 with biases; its "
                                     f"{weight}{suffix} is {None if mine is None else tuple(mine.shape)}.")
            wanted.copy_(mine)
        table, head = tables[0].weight.detach(), linears[-1]
        expected = []
        for row, n in zip(ids, lengths.tolist()):
            _, h_n = reference(table[row[:n]].unsqueeze(0))                       # one review, its n real words
            expected.append(F.linear(h_n[-1, 0], head.weight.detach(), head.bias.detach()))
        got = model(ids, lengths)
    assert_tensor_close(got, torch.stack(expected), atol=1e-5,
                        name="GRUClassifier's logits for a padded batch of 5 reviews with unsorted lengths "
                             "(expected: a reference nn.GRU with your weights run over each review's real words "
                             "alone, its final hidden state, then your final nn.Linear; the rows in the batch's order)")
