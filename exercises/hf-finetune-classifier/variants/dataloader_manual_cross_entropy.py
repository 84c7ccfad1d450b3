"""Freezes by parameter name, builds the head-only optimizer from filter(lambda p: p.requires_grad, ...),
evaluates under torch.inference_mode with a hand-written log-softmax cross-entropy, and trains from a
torch.utils.data DataLoader (its own seeded generator), passing no labels to the model but applying
F.cross_entropy to the logits; the gradients are cleared with model.zero_grad(set_to_none=True).
"""
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def load_classifier(path, num_labels=2, **config):
    return AutoTokenizer.from_pretrained(path), AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=num_labels, **config)


def encode(tokenizer, texts, max_length=32):
    enc = tokenizer(texts, padding="longest", truncation="longest_first", max_length=max_length,
                    return_tensors="pt")
    return {key: enc[key] for key in ("input_ids", "attention_mask")}


def freeze_encoder(model):
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("classifier."))


def make_optimizer(model, lr, head_lr=None, weight_decay=0.01):
    head_ids = {id(p) for p in model.classifier.parameters()}
    trainable = list(filter(lambda p: p.requires_grad, model.parameters()))
    head = [p for p in trainable if id(p) in head_ids]
    body = [p for p in trainable if id(p) not in head_ids]
    groups = [g for g in ({"params": body}, {"params": head, "lr": head_lr or lr}) if g["params"]]
    return torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)


def evaluate(model, batch, labels):
    model.eval()
    with torch.inference_mode():
        logits = model(**batch).logits
        log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
        loss = -log_probs.gather(1, labels.view(-1, 1)).mean()
        accuracy = (logits.max(dim=1).indices == labels).sum() / labels.numel()
    return {"accuracy": float(accuracy), "loss": float(loss), "logits": logits.clone()}


def train(model, optimizer, batch, labels, epochs, batch_size, accumulation_steps=1, seed=0):
    torch.manual_seed(seed)
    data = TensorDataset(batch["input_ids"], batch["attention_mask"], labels)
    loader = DataLoader(data, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    model.train()
    losses, running = [], 0.0
    for _ in range(epochs):
        model.zero_grad(set_to_none=True)
        for i, (ids, mask, y) in enumerate(loader, start=1):
            logits = model(input_ids=ids, attention_mask=mask).logits
            loss = F.cross_entropy(logits, y) / accumulation_steps
            loss.backward()
            running += loss.detach()
            if i % accumulation_steps == 0:
                optimizer.step()
                model.zero_grad(set_to_none=True)
                losses.append(float(running))
                running = 0.0
    return losses
