"""Hidden tests for mixed-precision training: each loop is replayed step by step."""
import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

FP32_SIG = "train_fp32(model, data, steps, device='cpu', lr=0.05) -> list[float]"
AMP_SIG = "train_amp(model, data, steps, device='cpu', dtype=torch.bfloat16, lr=0.05) -> list[float]"
if torch.cuda.is_available():
    DEVICE, DTYPE = "cuda", torch.float16      # GPU profile
else:
    DEVICE, DTYPE = "cpu", torch.bfloat16      # CPU profile


def make_data(n_batches=3, batch=32, seed=4):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(8, 3, generator=g)
    data = []
    for _ in range(n_batches):
        x = torch.randn(batch, 8, generator=g)
        data.append((x, (x @ w).argmax(dim=1)))
    return data


def make_model(seed=2):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 3))


def reference(model, data, steps, device, dtype, lr):
    """The recipe from the prompt; dtype None means plain float32."""
    device_type = torch.device(device).type
    model.to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scaler = torch.amp.GradScaler(device_type, enabled=(dtype == torch.float16))
    losses = []
    for s in range(steps):
        x, y = (t.to(device) for t in data[s % len(data)])
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device_type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    return losses


def compare(name, got, expected, mine, ref, atol):
    assert isinstance(got, list) and len(got) == len(expected), \
        f"{name} should return one loss per step ({len(expected)}), got {got!r:.80}."
    for s, (a, b) in enumerate(zip(got, expected)):
        assert abs(a - b) <= atol, (
            f"{name}: the loss of step {s} is {a:.6g}, but replaying the recipe gives {b:.6g}. Use SGD(lr=lr, "
            "momentum=0.9) created inside the function, batch data[s % len(data)] and F.cross_entropy.")
    for (pname, p), q in zip(mine.named_parameters(), ref.parameters()):
        assert_tensor_close(p.detach().cpu(), q.detach().cpu(), atol=atol, rtol=1e-5,
                            name=f"{name}: parameter {pname} after {len(expected)} steps")


def test_fp32_loop_follows_the_recipe():
    train_fp32 = get_function("train_fp32", FP32_SIG)
    model, data = make_model(), make_data()
    mine, ref = copy.deepcopy(model), copy.deepcopy(model)
    compare("train_fp32", train_fp32(mine, data, 7, DEVICE, lr=0.1), reference(ref, data, 7, DEVICE, None, 0.1),
            mine, ref, 1e-6)


def test_amp_loop_follows_the_recipe():
    train_amp = get_function("train_amp", AMP_SIG)
    model, data = make_model(), make_data()
    mine, ref = copy.deepcopy(model), copy.deepcopy(model)
    compare("train_amp", train_amp(mine, data, 7, DEVICE, DTYPE, lr=0.1),
            reference(ref, data, 7, DEVICE, DTYPE, 0.1), mine, ref, 1e-5)


def test_float16_loop_with_loss_scaling_follows_the_recipe():
    train_amp = get_function("train_amp", AMP_SIG)
    model, data = make_model(), make_data()
    mine, ref = copy.deepcopy(model), copy.deepcopy(model)
    compare("train_amp with float16", train_amp(mine, data, 5, DEVICE, torch.float16, lr=0.1),
            reference(ref, data, 5, DEVICE, torch.float16, 0.1), mine, ref, 1e-5)


def test_device_may_be_a_torch_device():
    train_amp = get_function("train_amp", AMP_SIG)
    model = make_model()
    losses = train_amp(model, make_data(), 3, torch.device(DEVICE), DTYPE)
    assert len(losses) == 3 and all(isinstance(v, float) for v in losses), \
        f"train_amp with device=torch.device({DEVICE!r}) should return 3 floats, got {losses!r:.80}."
    assert all(p.device.type == DEVICE for p in model.parameters()), \
        f"the model should have been moved to {DEVICE}."


def test_backward_runs_outside_autocast():
    train_amp = get_function("train_amp", AMP_SIG)
    model = make_model()
    device_type = torch.device(DEVICE).type
    during_backward = []

    def watch(module, inputs, output):
        output.register_hook(lambda grad: during_backward.append(torch.is_autocast_enabled(device_type)))

    model[-1].register_forward_hook(watch)
    train_amp(model, make_data(), 3, DEVICE, DTYPE)
    assert during_backward, "train_amp never ran backward through the model's last layer."
    assert not any(during_backward), (
        f"autocast was still on during the backward pass in {sum(during_backward)} of {len(during_backward)} "
        "steps. Close the `with torch.autocast(...)` block after computing the loss, and call backward (and "
        "the optimizer step) outside it: autograd already runs each backward op in the dtype of its forward op.")
