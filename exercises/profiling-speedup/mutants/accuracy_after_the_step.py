"""Computes the accuracy with a fresh forward pass after the optimizer step (the updated weights), not from the
logits the loss was computed on.

Caught by: test_fast_loop_gives_the_same_losses_accuracies_and_weights, test_other_shapes_lengths_and_learning_rate
"""
import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import ProfilerActivity, profile, record_function

# The labelled regions of one training step in slow_loop (see record_function below).
REGIONS = ("build_mask", "forward", "backward", "optimizer_step", "metrics")


class MaskedMeanClassifier(nn.Module):
    """Averages the embeddings of the real (unpadded) tokens and classifies the average."""

    def __init__(self, vocab=50, dim=32, classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens, mask):
        e = self.embed(tokens)                                                 # (N, T, C)
        pooled = (e * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)  # (N, C)
        return self.head(torch.tanh(pooled))                                   # (N, K)


def make_problem(n=64, t=32, vocab=50, classes=4, seed=0):
    """Padded token sequences of random lengths and their labels, for trying things out."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (n,), generator=g).tolist()           # N ints in 1..T
    tokens = torch.randint(1, vocab, (n, t), generator=g)                    # (N, T)
    for i, length in enumerate(lengths):
        tokens[i, length:] = 0                                               # padding
    labels = tokens[:, 0] % classes                                          # (N,)
    return tokens, lengths, labels


def slow_loop(model, tokens, lengths, labels, steps, lr=0.1):
    """The training loop to speed up. Do not change it: the tests compare against their own copy.

    Args:
        model: called as model(tokens, mask) -> logits (N, K).
        tokens: (N, T) int64 token ids, padded with 0 after each sequence's length.
        lengths: a list of N ints, the real length of each row.
        labels: (N,) int64 classes.
        steps: number of full-batch SGD steps.

    Returns:
        (losses, accuracies): two lists of `steps` Python floats.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses, accuracies = [], []
    for step in range(steps):
        with record_function("build_mask"):
            mask = torch.zeros(tokens.shape)                  # (N, T): 1.0 where a token is real
            for i in range(tokens.shape[0]):
                for j in range(tokens.shape[1]):
                    if j < lengths[i]:
                        mask[i, j] = 1.0
        with record_function("forward"):
            logits = model(tokens, mask)                      # (N, K)
            loss = F.cross_entropy(logits, labels)
        with record_function("backward"):
            optimizer.zero_grad()
            loss.backward()
        with record_function("optimizer_step"):
            optimizer.step()
        with record_function("metrics"):
            correct = 0
            for i in range(len(labels)):
                if logits[i].argmax().item() == labels[i].item():
                    correct += 1
            accuracies.append(correct / len(labels))
            losses.append(loss.item())
    return losses, accuracies


def profile_loop(model, tokens, lengths, labels, steps=2):
    """Profile ``slow_loop`` with torch.profiler and return the name (one of REGIONS) of the
    labelled region with the largest total CPU time."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        slow_loop(model, tokens, lengths, labels, steps)
    # key_averages() merges events by name: one row per region label and per aten op.
    # cpu_time_total includes everything that ran inside the region (its children).
    regions = [e for e in prof.key_averages() if e.key in REGIONS]
    return max(regions, key=lambda e: e.cpu_time_total).key


def fast_loop(model, tokens, lengths, labels, steps, lr=0.1):
    """Same results as ``slow_loop`` (same losses, accuracies and final weights), at least 3x faster."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    # The profile shows build_mask dominating: thousands of tiny indexing ops per step, for a
    # mask that never changes. Build it once, vectorised: position j is real if j < length.
    t = tokens.shape[1]
    mask = (torch.arange(t) < torch.tensor(lengths).unsqueeze(1)).float()  # (N, T), same values
    losses, accuracies = [], []
    for step in range(steps):
        logits = model(tokens, mask)                       # (N, K)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # One vectorised comparison and a single .item() instead of 2N of them.
        with torch.no_grad():
            correct = (model(tokens, mask).argmax(dim=1) == labels).sum().item()
        accuracies.append(correct / len(labels))
        losses.append(loss.item())
    return losses, accuracies
