"""Unusual but correct: the temporary file comes from tempfile.mkstemp in the target's folder, the checkpoint is a
nested dict with the RNG under "extra", the step loop is a while loop, and loading uses an explicit weights_only=True."""
import os
import tempfile

import torch
import torch.nn.functional as F


def train_steps(model, optimizer, data, steps, start_step=0):
    model.train()
    out = []
    step = start_step
    while step < start_step + steps:
        x, y = data[step % len(data)]
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        out.append(float(loss))
        step += 1
    return out


def save_checkpoint(path, model, optimizer, step, rng_state=True):
    path = os.fspath(path)
    payload = {"state": {"model": model.state_dict(), "optim": optimizer.state_dict()},
               "meta": {"step": step}, "extra": {}}
    if rng_state:
        payload["extra"]["cpu_rng"] = torch.random.get_rng_state()
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".ckpt-")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise


def load_checkpoint(path, model, optimizer):
    payload = torch.load(os.fspath(path), weights_only=True)
    model.load_state_dict(payload["state"]["model"])
    optimizer.load_state_dict(payload["state"]["optim"])
    rng = payload["extra"].get("cpu_rng")
    if rng is not None:
        torch.random.set_rng_state(rng)
    return int(payload["meta"]["step"])
