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
    # A first attempt. backward() adds into .grad, so what do the gradients add up to
    # here: the full-batch gradient, or something bigger?
    optimizer.zero_grad()
    total = 0.0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total / len(batches)
