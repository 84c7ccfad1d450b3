"""Scales every micro-batch by 1/k (number of micro-batches) instead of n_i/N: wrong when sizes differ.

Caught by: test_unequal_micro_batches_are_weighted_by_their_size
"""
import torch


def accumulated_step(model, loss_fn, batches, optimizer):
    """One optimizer step on the full batch, computed one micro-batch at a time.

    Args:
        model: maps x (n_i, ...) to predictions.
        loss_fn: ``loss_fn(prediction, y)`` returns the mean loss over one micro-batch.
        batches: a list of (x, y) micro-batches; sizes may differ.
        optimizer: the optimizer over ``model``'s parameters.

    Returns:
        The mean loss over all samples, as a Python float.
    """
    optimizer.zero_grad()                       # drop gradients left from earlier work
    total_n = sum(len(x) for x, _ in batches)   # N, the full batch size
    total_loss = 0.0
    for x, y in batches:
        # Weight the micro-batch mean by n_i / N: the weighted means add up to the full-batch
        # mean, and backward() adds their gradients into .grad.
        loss = loss_fn(model(x), y) / len(batches)
        loss.backward()                         # frees this micro-batch's graph right away
        total_loss += loss.item()
    optimizer.step()                            # one update for the whole batch
    return total_loss
