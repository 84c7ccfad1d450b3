"""Only the model's forward runs under autocast; the cross-entropy is computed outside it on the low-precision logits
(so in bfloat16 / float16 instead of float32).

Caught by: test_amp_loop_follows_the_recipe
"""
import torch
import torch.nn.functional as F


def _optimizer(model, lr):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def train_fp32(model, data, steps, device="cpu", lr=0.05):
    """Plain float32 training: the baseline that mixed precision is compared with.

    Args:
        model: a classifier mapping x (B, D) to logits (B, K); its parameters are float32.
        data: a list of (x, y) mini-batches; step s uses data[s % len(data)].
        steps: how many optimizer steps to take.
        device: where to train ("cpu", "cuda" or a torch.device).
        lr: learning rate of SGD with momentum 0.9.

    Returns:
        The loss of each step, as Python floats.
    """
    model.to(device).train()
    optimizer = _optimizer(model, lr)
    losses = []
    for s in range(steps):
        x, y = (t.to(device) for t in data[s % len(data)])
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def train_amp(model, data, steps, device="cpu", dtype=torch.bfloat16, lr=0.05):
    """Mixed-precision training with autocast; the model's own weights stay float32.

    Same arguments as ``train_fp32``, plus ``dtype``: the low-precision type autocast uses
    (torch.bfloat16 on CPU, torch.float16 on CUDA). float16 needs loss scaling (GradScaler).

    Returns:
        The loss of each step, as Python floats.
    """
    device_type = torch.device(device).type            # "cpu" or "cuda"
    model.to(device).train()                            # master weights: float32, never .half()
    optimizer = _optimizer(model, lr)
    # float16 has a tiny range (smallest normal ~6e-5): small gradients underflow to zero
    # unless the loss is scaled up first. bfloat16 has float32's range and needs no scaling.
    scaler = torch.amp.GradScaler(device_type, enabled=(dtype == torch.float16))
    losses = []
    for s in range(steps):
        x, y = (t.to(device) for t in data[s % len(data)])
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device_type, dtype=dtype):
            logits = model(x)                           # matmuls run in `dtype`
        loss = F.cross_entropy(logits, y)
        scaler.scale(loss).backward()                   # backward outside autocast
        scaler.step(optimizer)                          # unscales; skips the step on inf/NaN
        scaler.update()
        losses.append(loss.item())
    return losses
