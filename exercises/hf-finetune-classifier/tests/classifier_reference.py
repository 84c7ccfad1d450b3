"""The tests' own measurements, computed in the judge on its own copy of the checkpoint.

The learner's functions run in their own process, on their own model; what they return (and
the weights their model ends up with) is compared with what these functions compute here, from
the read-only checkpoint folder.
"""
import functools

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers.utils import logging

from course_harness import pretrained_path

logging.set_verbosity_error()       # "Some weights … are newly initialized": expected for a new head
logging.disable_progress_bar()

NO_DROPOUT = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "classifier_dropout": 0.0}
HEAD = ("classifier.weight", "classifier.bias")
ENCODER_PREFIX = "bert."


def checkpoint() -> str:
    """The tiny BERT's folder, as the string the learner's functions receive."""
    return str(pretrained_path("tiny-bert"))


@functools.cache
def tokenizer():
    return AutoTokenizer.from_pretrained(checkpoint())


def encode(texts, max_length=32) -> dict:
    enc = tokenizer()(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


@functools.cache
def _checkpoint_tensors() -> dict:
    return load_file(str(pretrained_path("tiny-bert") / "model.safetensors"))


def checkpoint_encoder() -> dict:
    """The pre-trained encoder's tensors as the file stores them (``bert.…``; the MLM head left out)."""
    return {k: v for k, v in _checkpoint_tensors().items() if k.startswith(ENCODER_PREFIX)}


def learner_state(model) -> dict:
    """The state of a model that lives in the learner's process, copied here by name."""
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


def with_state(state: dict, num_labels: int = 2, dropout: bool = True):
    """A judge-side classifier on the checkpoint holding ``state`` (the learner's weights), in eval mode."""
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint(), num_labels=num_labels,
                                                               **({} if dropout else NO_DROPOUT))
    mine = model.state_dict()
    missing = sorted(set(mine) - set(state))
    if missing:
        raise AssertionError(f"your model lacks weights a BERT classifier has ({', '.join(missing[:3])}…): "
                             "load it with AutoModelForSequenceClassification.from_pretrained(path, num_labels=…).")
    for name, t in mine.items():
        if tuple(state[name].shape) != tuple(t.shape):
            raise AssertionError(f"{name} has shape {tuple(state[name].shape)} in your model, {tuple(t.shape)} here.")
    model.load_state_dict({name: state[name] for name in mine})
    return model.eval()


@torch.no_grad()
def evaluate(model, batch: dict, labels: torch.Tensor) -> dict:
    """Accuracy, mean cross-entropy and logits of one forward pass in eval mode."""
    model.eval()
    logits = model(**batch).logits
    return {"accuracy": (logits.argmax(-1) == labels).float().mean().item(),
            "loss": F.cross_entropy(logits, labels).item(), "logits": logits}


def full_batch_sgd(state: dict, batch: dict, labels: torch.Tensor, steps: int, lr: float):
    """Plain gradient descent on the whole batch at every step, without dropout: what accumulation over
    micro-batches must reproduce exactly. Returns (losses, the state after the steps)."""
    model = with_state(state, dropout=False).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {name: t.detach().clone() for name, t in model.state_dict().items()}


def largest_difference(a: dict, b: dict, names) -> tuple[float, str]:
    """The largest absolute difference between two states over ``names``, and where it is."""
    worst, where = 0.0, ""
    for name in names:
        d = (a[name].double() - b[name].double()).abs().max().item()
        if d > worst:
            worst, where = d, name
    return worst, where
