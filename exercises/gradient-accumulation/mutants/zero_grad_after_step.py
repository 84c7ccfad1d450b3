"""Clears the gradients at the end (after the step) instead of at the start: stale .grad from before the call is used,
and the accumulated gradients are gone afterwards.

Caught by: test_old_gradients_are_cleared_before_accumulating, test_equal_micro_batches_give_the_full_batch_gradient
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
    total_n = sum(len(x) for x, _ in batches)   # N, the full batch size
    total_loss = 0.0
    for x, y in batches:
        # Weight the micro-batch mean by n_i / N: the weighted means add up to the full-batch
        # mean, and backward() adds their gradients into .grad.
        loss = loss_fn(model(x), y) * (len(x) / total_n)
        loss.backward()                         # frees this micro-batch's graph right away
        total_loss += loss.item()
    optimizer.step()                            # one update for the whole batch
    optimizer.zero_grad()
    return total_loss
