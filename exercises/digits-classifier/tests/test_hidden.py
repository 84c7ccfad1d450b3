"""Hidden tests for the digits classifier: edge cases, run only on *Submit*."""
import ast
import inspect

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import get_function, submission

BUILD = "build_model() -> nn.Module"
TRAIN = "train(model: nn.Module, X_train: torch.Tensor, y_train: torch.Tensor, epochs=..., lr=...) -> list[float]"
CONVOLUTIONS = {"Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
                "LazyConv2d", "LazyConv3d", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "convolution", "unfold", "Unfold"}


def small_data(n=300):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X_train, _, y_train, _ = train_test_split(
        digits.data, digits.target, test_size=0.2, stratify=digits.target, random_state=0)
    return torch.tensor(X_train[:n] / 16, dtype=torch.float32), torch.tensor(y_train[:n], dtype=torch.long)


def build():
    model = get_function("build_model", BUILD)()
    if not isinstance(model, nn.Module):
        raise AssertionError(f"build_model() should return an nn.Module, got {type(model).__name__}.")
    return model


def test_model_has_no_convolution():
    try:
        model = build()
    except Exception:  # noqa: BLE001 - a model that cannot be built is judged by the other tests, not by this rule
        model = nn.Identity()
    convs = [type(m).__name__ for m in model.modules() if isinstance(m, nn.modules.conv._ConvNd)]
    assert not convs, f"the model contains {', '.join(convs)}; this exercise asks for a feed-forward network."
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):
        return
    found = sorted({(node.lineno, node.attr) for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and node.attr in CONVOLUTIONS})
    assert not found, ("convolutions are not allowed in this exercise (feed-forward layers only); found "
                       + ", ".join(f"line {line} (.{name})" for line, name in found) + ".")


def test_training_is_deterministic_and_returns_one_loss_per_epoch():
    X, y = small_data()
    train = get_function("train", TRAIN)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = build()
        losses = train(model, X, y, epochs=2)
        assert isinstance(losses, (list, tuple)) and len(losses) == 2, (
            f"train(..., epochs=2) should return 2 losses (one per epoch), got "
            f"{len(losses) if isinstance(losses, (list, tuple)) else type(losses).__name__}.")
        runs.append(([float(v) for v in losses], [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0], (
        f"two runs with torch.manual_seed(0) gave different losses {runs[0][0]} and {runs[1][0]}: use only "
        "PyTorch's random numbers (no numpy/random shuffles, no reseeding inside train).")
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1])), (
        "two runs with torch.manual_seed(0) ended with different weights.")


def test_train_uses_the_learning_rate_it_is_given():
    X, y = small_data(100)
    torch.manual_seed(0)
    model = build()
    before = [p.detach().clone() for p in model.parameters()]
    get_function("train", TRAIN)(model, X, y, epochs=1, lr=0.0)
    changed = [i for i, (a, p) in enumerate(zip(before, model.parameters())) if not torch.equal(a, p.detach())]
    assert not changed, ("train(..., lr=0.0) still changed the weights: pass `lr` to the optimiser instead of a "
                         "fixed value.")


def test_model_gives_ten_scores_for_a_single_image_in_eval_mode():
    model = build()
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(1, 64))
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (1, 10), (
        f"in eval mode, the model should map one image of shape (1, 64) to (1, 10); got "
        f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}.")


class Recorder(nn.Module):
    """Wraps the learner's model and remembers every batch it sees and the logits it gives."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = []   # (was a training forward, inputs, logits)

    def forward(self, x):
        out = self.inner(x)
        training = torch.is_grad_enabled() and self.training
        self.calls.append((training, x.detach().clone(), out.detach().clone()))
        return out


def test_reported_loss_is_the_mean_over_the_epoch():
    # Each epoch's number must be the average loss over that epoch's mini-batches (weighted by batch size or not),
    # or the loss of the whole training set, not the loss of one batch (e.g. the last).
    X, y = small_data()
    label_of = {tuple(row.tolist()): int(label) for row, label in zip(X, y)}
    torch.manual_seed(0)
    model = Recorder(build())
    losses = get_function("train", TRAIN)(model, X, y, epochs=2)
    assert isinstance(losses, (list, tuple)) and len(losses) == 2, "train(..., epochs=2) should return 2 losses."
    steps = [i for i, (training, _, _) in enumerate(model.calls) if training]
    if not steps or len(steps) % 2:
        raise AssertionError(f"expected the same number of training batches in each of the 2 epochs, saw {len(steps)} "
                             "forward passes in training mode in total.")

    def batch_loss(call):
        _, xb, logits = model.calls[call]
        labels = torch.tensor([label_of[tuple(row.tolist())] for row in xb])
        return float(F.cross_entropy(logits, labels)), len(xb)

    half = len(steps) // 2
    for epoch in range(2):
        mine = steps[epoch * half:(epoch + 1) * half]
        parts = [batch_loss(c) for c in mine]
        weighted = sum(l * n for l, n in parts) / sum(n for _, n in parts)
        plain = sum(l for l, _ in parts) / len(parts)
        candidates = [weighted, plain]
        end = steps[(epoch + 1) * half] if epoch == 0 else len(model.calls)   # full-set evaluations after the epoch
        candidates += [batch_loss(c)[0] for c in range(mine[-1] + 1, end)
                       if not model.calls[c][0] and len(model.calls[c][1]) == len(X)]
        got = float(losses[epoch])
        assert any(abs(got - c) <= 1e-4 + 1e-4 * abs(c) for c in candidates), (
            f"train reported {got:.5f} for epoch {epoch + 1}, but the mean loss over that epoch's "
            f"{len(parts)} mini-batches was {weighted:.5f} (the last batch alone: {parts[-1][0]:.5f}). Return the "
            "average loss of every epoch: add up loss.item() * batch size and divide by the number of samples.")


def test_model_returns_logits_not_probabilities():
    torch.manual_seed(0)
    model = build()
    model.eval()
    with torch.no_grad():
        out = model(small_data(50)[0])
    probabilities = bool((out >= 0).all() and (out <= 1).all()) and bool(torch.allclose(out.sum(dim=1),
                                                                                       torch.ones(len(out)), atol=1e-4))
    assert not probabilities, (
        "the model's outputs are probabilities (each row in [0, 1], summing to 1): return raw scores (logits) and "
        "let F.cross_entropy apply log-softmax itself; a softmax before it squashes the gradients.")
