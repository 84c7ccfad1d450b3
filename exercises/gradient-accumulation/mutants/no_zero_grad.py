"""Never clears the gradients: leftovers in .grad from earlier work are added to the new ones.

Caught by: test_old_gradients_are_cleared_before_accumulating, test_float32_model_with_unequal_sizes
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
    return total_loss
