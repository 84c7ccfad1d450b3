"""Public tests for the digits classifier: run by *Run* and shown to the learner."""
import math

import torch
from torch import nn

from course_harness import artifacts, get_function

BUILD = "build_model() -> nn.Module"
TRAIN = "train(model: nn.Module, X_train: torch.Tensor, y_train: torch.Tensor, epochs=..., lr=...) -> list[float]"
_CACHE = {}


def load_data():
    """The 8x8 digits, split 80/20 (stratified, random_state=0) and scaled to [0, 1]."""
    if "data" not in _CACHE:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        X_train, X_test, y_train, y_test = train_test_split(
            digits.data, digits.target, test_size=0.2, stratify=digits.target, random_state=0)
        _CACHE["data"] = (torch.tensor(X_train / 16, dtype=torch.float32), torch.tensor(y_train, dtype=torch.long),
                          torch.tensor(X_test / 16, dtype=torch.float32), torch.tensor(y_test, dtype=torch.long))
    return _CACHE["data"]


def build():
    model = get_function("build_model", BUILD)()
    if not isinstance(model, nn.Module):
        raise AssertionError(f"build_model() should return an nn.Module, got {type(model).__name__}.")
    return model


def trained():
    """Train once with the learner's defaults (seed 0) and share the result between tests."""
    if "trained" not in _CACHE:
        X_train, y_train, _, _ = load_data()
        torch.manual_seed(0)
        model = build()
        losses = get_function("train", TRAIN)(model, X_train, y_train)
        if not isinstance(losses, (list, tuple)) or not losses:
            raise AssertionError(f"train should return a non-empty list of per-epoch losses, got {losses!r:.80}.")
        _CACHE["trained"] = (model, [float(v) for v in losses])
    return _CACHE["trained"]


def test_model_maps_64_pixels_to_10_class_scores():
    model = build()
    out = model(torch.rand(5, 64))
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (5, 10), (
        f"build_model()(x) for x of shape (5, 64) should have shape (5, 10), one score per digit; got "
        f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}.")


def test_training_loss_goes_down():
    _, losses = trained()
    artifacts().line("training loss", losses, x_label="epoch", y_label="cross-entropy")
    assert all(math.isfinite(v) for v in losses), "the training loss became NaN or inf: lower the learning rate."
    assert losses[-1] < 0.5 * losses[0], (
        f"the loss went from {losses[0]:.3f} (first epoch) to only {losses[-1]:.3f} (last epoch); training should "
        "at least halve it. Check that the optimiser steps every batch and that the learning rate is not tiny.")


def test_reaches_95_percent_accuracy_on_the_test_images():
    model, _ = trained()
    _, _, X_test, y_test = load_data()
    model.eval()
    with torch.no_grad():
        predicted = model(X_test).argmax(dim=1)  # (N_test,)
    accuracy = float((predicted == y_test).float().mean())
    confusion = torch.zeros(10, 10, dtype=torch.long)  # rows: true digit, columns: predicted digit
    confusion.index_put_((y_test, predicted), torch.ones_like(y_test), accumulate=True)
    per_digit = [int(confusion[d, d]) / max(int(confusion[d].sum()), 1) for d in range(10)]
    mistakes = sorted(((int(confusion[t, p]), t, p) for t in range(10) for p in range(10) if t != p), reverse=True)
    lines = [f"test accuracy: {accuracy:.2%} ({int((predicted == y_test).sum())} of {len(y_test)} images)",
             "accuracy per digit: " + ", ".join(f"{d}: {a:.0%}" for d, a in enumerate(per_digit)),
             "most common mistakes:"]
    lines += [f"  true {t} predicted as {p}: {n} time(s)" for n, t, p in mistakes[:5] if n > 0] or ["  none"]
    board = artifacts()
    board.text("test accuracy and confusions", "\n".join(lines))
    board.heatmap("confusion matrix (rows: true digit, columns: predicted)", confusion,
                  x_labels=[str(d) for d in range(10)], y_labels=[str(d) for d in range(10)])
    assert accuracy >= 0.95, (
        f"test accuracy is {accuracy:.2%}; at least 95% is needed. Try more epochs, a hidden layer of ~100 units, "
        "or a different learning rate (Adam with lr around 1e-2 works well).")
