"""A bare nn.Parameter table indexed directly, log_softmax + nll_loss on 3-D logits (never flattened
in the output), sampling with torch.distributions.Categorical, windows by advanced indexing, and Adam
(no weight decay) in a while loop.
"""
import torch
from torch import nn
from torch.distributions import Categorical


class BigramLanguageModel(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.table = nn.Parameter(torch.randn(vocab_size, vocab_size))

    def forward(self, idx, targets=None):
        logits = self.table[idx]
        loss = None
        if targets is not None:
            log_probs = torch.log_softmax(logits, dim=-1)
            loss = nn.functional.nll_loss(log_probs.transpose(1, 2), targets)
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens):
        out = idx
        for _ in range(max_new_tokens):
            last = self(out[:, -1:])[0][:, -1]
            out = torch.cat([out, Categorical(logits=last).sample()[:, None]], dim=1)
        return out


def get_batch(data, block_size, batch_size):
    starts = torch.randint(0, data.numel() - block_size, (batch_size,))
    window = starts[:, None] + torch.arange(block_size)
    return data[window], data[window + 1]


def train(model, data, *, steps, batch_size, block_size, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history, step = [], 0
    while step < steps:
        x, y = get_batch(data, block_size, batch_size)
        opt.zero_grad()
        _, loss = model(x, y)
        loss.backward()
        opt.step()
        history.append(float(loss))
        step += 1
    return history
