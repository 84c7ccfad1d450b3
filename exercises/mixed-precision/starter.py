import torch
import torch.nn.functional as F


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
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
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
    # train_fp32 is done for you. Copy its loop and add autocast (and a GradScaler
    # for float16) as the prompt describes.
    raise NotImplementedError("write the mixed-precision loop")
