"""The table as an nn.Linear without bias applied to one-hot vectors (the same lookup as a matrix
product), the loss from flattened logits with reshape, and multinomial on probabilities made with exp
and a division.
"""
import torch
import torch.nn.functional as F
from torch import nn


class BigramLanguageModel(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size
        self.next_token = nn.Linear(vocab_size, vocab_size, bias=False)
        with torch.no_grad():
            self.next_token.weight.normal_()

    def forward(self, idx, targets=None):
        # W[i] is token i's row: one_hot(idx) @ W^T would give column i, so use W directly as the table
        logits = F.one_hot(idx, self.vocab_size).to(self.next_token.weight.dtype) @ self.next_token.weight
        if targets is None:
            return logits, None
        flat = logits.reshape(-1, self.vocab_size)
        return flat, F.cross_entropy(flat, targets.reshape(-1))

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx)
            scores = logits[:, -1, :]
            weights = torch.exp(scores - scores.max(dim=-1, keepdim=True).values)
            probs = weights / weights.sum(dim=-1, keepdim=True)
            idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=-1)
        return idx


def get_batch(data, block_size, batch_size):
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    return x, torch.stack([data[i + 1:i + 1 + block_size] for i in ix])


def train(model, data, *, steps, batch_size, block_size, lr):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x, y = get_batch(data, block_size, batch_size)
        for p in model.parameters():
            p.grad = None
        _, loss = model(x, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
