"""Freezes with module.requires_grad_(False) and unfreezes the head, groups parameters by module, evaluates
in chunks (summing per-row losses and correct rows), and scales each micro-batch's summed cross-entropy by
the number of examples in the step (batch_size * accumulation_steps) rather than dividing a mean.
"""
import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def load_classifier(path, num_labels=2, **config):
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=num_labels, **config)
    return tokenizer, model


def encode(tokenizer, texts, max_length=32):
    enc = tokenizer(list(texts), truncation=True, max_length=max_length)
    longest = max(len(ids) for ids in enc["input_ids"])
    ids = torch.full((len(texts), longest), tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(texts), longest), dtype=torch.long)
    for row, seq in enumerate(enc["input_ids"]):
        ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def freeze_encoder(model):
    model.requires_grad_(False)
    model.classifier.requires_grad_(True)


def make_optimizer(model, lr, head_lr=None, weight_decay=0.01):
    head = [p for p in model.classifier.parameters() if p.requires_grad]
    body = [p for m in model.children() if m is not model.classifier for p in m.parameters() if p.requires_grad]
    groups = [{"params": head, "lr": lr if head_lr is None else head_lr, "weight_decay": weight_decay}]
    if body:
        groups.append({"params": body, "lr": lr, "weight_decay": weight_decay})
    return torch.optim.AdamW(groups)


def evaluate(model, batch, labels, chunk=8):
    model.eval()
    total, correct, outputs = 0.0, 0, []
    with torch.no_grad():
        for start in range(0, len(labels), chunk):
            part = slice(start, start + chunk)
            logits = model(input_ids=batch["input_ids"][part], attention_mask=batch["attention_mask"][part]).logits
            total += F.cross_entropy(logits, labels[part], reduction="sum").item()
            correct += int((logits.argmax(-1) == labels[part]).sum())
            outputs.append(logits)
    return {"accuracy": correct / len(labels), "loss": total / len(labels), "logits": torch.cat(outputs)}


def train(model, optimizer, batch, labels, epochs, batch_size, accumulation_steps=1, seed=0):
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    n = labels.shape[0]
    per_step = batch_size * accumulation_steps
    model.train()
    losses = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for step_start in range(0, n, per_step):
            optimizer.zero_grad(set_to_none=True)
            total = 0.0
            for start in range(step_start, min(step_start + per_step, n), batch_size):
                idx = order[start:start + batch_size]
                logits = model(input_ids=batch["input_ids"][idx], attention_mask=batch["attention_mask"][idx]).logits
                loss = F.cross_entropy(logits, labels[idx], reduction="sum") / per_step
                loss.backward()
                total += loss.item()
            optimizer.step()
            losses.append(total)
    return losses
