import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def load_classifier(path, num_labels=2, **config):
    """(tokenizer, model): the checkpoint's tokenizer, and its pre-trained encoder with a new classification
    head of ``num_labels`` outputs (AutoModelForSequenceClassification). Keyword arguments override fields of
    the checkpoint's config, e.g. ``hidden_dropout_prob=0.0``."""
    raise NotImplementedError("AutoTokenizer.from_pretrained(path), "
                              "AutoModelForSequenceClassification.from_pretrained(...)")


def encode(tokenizer, texts, max_length=32):
    """{"input_ids": (N, T), "attention_mask": (N, T)} tensors: every text cut to at most ``max_length`` tokens
    ([CLS] and [SEP] included), the batch right-padded to its longest text."""
    raise NotImplementedError


def freeze_encoder(model):
    """requires_grad=False on every parameter of model.base_model; only model.classifier keeps training."""
    raise NotImplementedError


def make_optimizer(model, lr, head_lr=None, weight_decay=0.01):
    """torch.optim.AdamW over the parameters that require gradients: the head (names starting with
    "classifier.") at ``head_lr`` (``lr`` when None), every other trainable parameter at ``lr``."""
    raise NotImplementedError


def evaluate(model, batch, labels):
    """{"accuracy": float, "loss": float, "logits": (N, num_labels) tensor}: one forward pass over the whole
    batch in eval mode, without gradients; loss is the mean cross-entropy."""
    raise NotImplementedError


def train(model, optimizer, batch, labels, epochs, batch_size, accumulation_steps=1, seed=0):
    """Fine-tune ``model`` in training mode; return the loss of every optimizer step.

    torch.manual_seed(seed) for dropout; each epoch the order is torch.randperm(N, generator=g) with
    g = torch.Generator().manual_seed(seed) made once. Micro-batches are consecutive slices of
    ``batch_size`` examples of that order; one optimizer step per ``accumulation_steps`` micro-batches,
    each micro-batch's loss divided by ``accumulation_steps`` before backward(). A step's loss is the mean
    cross-entropy over its examples (the sum of its scaled micro-batch losses).
    """
    raise NotImplementedError
