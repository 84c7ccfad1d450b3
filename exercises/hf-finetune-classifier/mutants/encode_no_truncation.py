"""Forgets truncation: a long text keeps all its tokens.

Caught by: test_encode_truncates_long_texts
"""
import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def load_classifier(path, num_labels=2, **config):
    """The checkpoint's tokenizer and its encoder with a new classification head of ``num_labels`` outputs.

    Keyword arguments override fields of the checkpoint's config (``hidden_dropout_prob=0.0``…).
    """
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=num_labels, **config)
    return tokenizer, model


def encode(tokenizer, texts, max_length=32):
    """{"input_ids", "attention_mask"}: (N, T) tensors, right-padded to the longest text, at most max_length."""
    enc = tokenizer(list(texts), padding=True, return_tensors="pt")
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def freeze_encoder(model):
    """Only the classification head (``model.classifier``) keeps requires_grad=True."""
    for p in model.base_model.parameters():
        p.requires_grad = False


def make_optimizer(model, lr, head_lr=None, weight_decay=0.01):
    """AdamW over the trainable parameters: the head at head_lr (lr when None), the rest at lr."""
    head = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("classifier.")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("classifier.")]
    groups = [{"params": head, "lr": lr if head_lr is None else head_lr}]
    if body:
        groups.append({"params": body, "lr": lr})
    return torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)


@torch.no_grad()
def evaluate(model, batch, labels):
    """Accuracy, mean cross-entropy and logits of one forward pass in eval mode, without gradients."""
    model.eval()
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    loss = F.cross_entropy(logits, labels)
    accuracy = (logits.argmax(dim=-1) == labels).float().mean()
    return {"accuracy": accuracy.item(), "loss": loss.item(), "logits": logits}


def train(model, optimizer, batch, labels, epochs, batch_size, accumulation_steps=1, seed=0):
    """Fine-tune; one optimizer step per ``accumulation_steps`` micro-batches of ``batch_size``.

    Returns the loss of every optimizer step: the mean cross-entropy over the step's examples.
    """
    torch.manual_seed(seed)                       # dropout
    order_rng = torch.Generator().manual_seed(seed)
    n = len(labels)
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=order_rng)
        micro = [order[i:i + batch_size] for i in range(0, n, batch_size)]
        for start in range(0, len(micro), accumulation_steps):
            optimizer.zero_grad()
            step_loss = 0.0
            for idx in micro[start:start + accumulation_steps]:
                out = model(input_ids=batch["input_ids"][idx], attention_mask=batch["attention_mask"][idx],
                            labels=labels[idx])
                loss = out.loss / accumulation_steps
                loss.backward()
                step_loss += loss.item()
            optimizer.step()
            losses.append(step_loss)
    return losses
