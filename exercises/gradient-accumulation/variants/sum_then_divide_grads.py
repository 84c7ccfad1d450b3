"""Unusual but correct: scales each micro-batch mean by its size n_i (a per-sample sum), then divides the accumulated
gradients by N once before the step; zeroes gradients in place instead of setting them to None."""
import torch


def accumulated_step(model, loss_fn, batches, optimizer):
    for p in model.parameters():
        if p.grad is not None:
            p.grad.detach_()
            p.grad.zero_()
    total_n = 0
    total_sum = 0.0
    for x, y in batches:
        loss_sum = loss_fn(model(x), y) * x.shape[0]
        loss_sum.backward()
        total_sum += float(loss_sum)
        total_n += x.shape[0]
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p.grad /= total_n
    optimizer.step()
    return total_sum / total_n
