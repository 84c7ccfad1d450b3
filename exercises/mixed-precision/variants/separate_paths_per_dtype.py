"""Unusual but correct: two explicit code paths (GradScaler only for float16, plain backward/step otherwise), the
device type parsed from the string, gradients zeroed in place, and the forward written as one helper."""
import torch
import torch.nn.functional as F


def _batches(data, steps, device):
    for s in range(steps):
        x, y = data[s % len(data)]
        yield x.to(device), y.to(device)


def train_fp32(model, data, steps, device="cpu", lr=0.05):
    model = model.to(device)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    out = []
    for x, y in _batches(data, steps, device):
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        out.append(float(loss.detach()))
    return out


def _forward(model, x, y, device_type, dtype):
    with torch.autocast(device_type, dtype=dtype):
        return F.cross_entropy(model(x), y)


def train_amp(model, data, steps, device="cpu", dtype=torch.bfloat16, lr=0.05):
    device_type = str(device).split(":")[0]
    model = model.to(device)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    out = []
    if dtype == torch.float16:
        scaler = torch.amp.GradScaler(device_type)
        for x, y in _batches(data, steps, device):
            opt.zero_grad(set_to_none=False)
            loss = _forward(model, x, y, device_type, dtype)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            out.append(float(loss.detach()))
    else:
        for x, y in _batches(data, steps, device):
            opt.zero_grad(set_to_none=False)
            loss = _forward(model, x, y, device_type, dtype)
            loss.backward()
            opt.step()
            out.append(float(loss.detach()))
    return out
