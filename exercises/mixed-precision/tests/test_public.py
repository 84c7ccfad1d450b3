"""Public tests for mixed-precision training: run by *Run* and shown to the learner.

Profiles: on a GPU worker the tests train on "cuda" with float16 (and a GradScaler); without
a GPU they train on the CPU with bfloat16, the 16-bit type CPUs support well.
"""
import copy

import torch
from torch import nn

from course_harness import artifacts, get_function

FP32_SIG = "train_fp32(model, data, steps, device='cpu', lr=0.05) -> list[float]"
AMP_SIG = "train_amp(model, data, steps, device='cpu', dtype=torch.bfloat16, lr=0.05) -> list[float]"
if torch.cuda.is_available():
    DEVICE, DTYPE = "cuda", torch.float16      # GPU profile
else:
    DEVICE, DTYPE = "cpu", torch.bfloat16      # CPU profile


def make_data(n_batches=4, batch=64, seed=0):
    """A noisy 4-class problem: a list of (x (64, 16), y (64,)) mini-batches."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(16, 4, generator=g)
    data = []
    for _ in range(n_batches):
        x = torch.randn(batch, 16, generator=g)
        data.append((x, (x @ w + 0.5 * torch.randn(batch, 4, generator=g)).argmax(dim=1)))
    return data


def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))


def record_linear_dtypes(model):
    """Forward hooks that note the dtype of every nn.Linear output."""
    seen = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
    return seen


def test_autocast_runs_the_linear_layers_in_low_precision():
    train_amp = get_function("train_amp", AMP_SIG)
    train_fp32 = get_function("train_fp32", FP32_SIG)
    model = make_model()
    seen = record_linear_dtypes(model)
    train_amp(model, make_data(), 3, DEVICE, DTYPE)
    assert seen, "train_amp never ran the model's nn.Linear layers."
    assert set(seen) == {DTYPE}, (
        f"during train_amp the nn.Linear outputs had dtypes {sorted(set(map(str, seen)))}; expected only {DTYPE}. "
        "Run the forward pass inside `with torch.autocast(device_type=..., dtype=dtype):`.")
    baseline = make_model()
    seen32 = record_linear_dtypes(baseline)
    train_fp32(baseline, make_data(), 3, DEVICE)
    assert set(seen32) == {torch.float32}, (
        f"during train_fp32 the nn.Linear outputs had dtypes {sorted(set(map(str, seen32)))}; the baseline "
        "should run entirely in float32 (no autocast).")


def test_master_weights_and_gradients_stay_float32():
    train_amp = get_function("train_amp", AMP_SIG)
    model = make_model()
    train_amp(model, make_data(), 5, DEVICE, DTYPE)
    for name, p in model.named_parameters():
        assert p.dtype == torch.float32, (
            f"after train_amp, parameter {name} is {p.dtype}; the master weights must stay float32. "
            "Do not call model.half() or model.to(dtype): autocast casts on the fly.")
        if p.grad is not None:
            assert p.grad.dtype == torch.float32, \
                f"the gradient of {name} is {p.grad.dtype}; gradients of float32 weights should be float32."


def test_amp_ends_close_to_fp32_training():
    train_amp = get_function("train_amp", AMP_SIG)
    train_fp32 = get_function("train_fp32", FP32_SIG)
    model, data = make_model(), make_data()
    fp32 = train_fp32(copy.deepcopy(model), data, 60, DEVICE)
    amp = train_amp(copy.deepcopy(model), data, 60, DEVICE, DTYPE)
    sink = artifacts()
    sink.line("training loss, float32", fp32, x_label="step", y_label="loss")
    sink.line(f"training loss, autocast {str(DTYPE).replace('torch.', '')}", amp, x_label="step", y_label="loss")
    for name, losses in (("train_fp32", fp32), ("train_amp", amp)):
        assert isinstance(losses, list) and len(losses) == 60 and all(isinstance(v, float) for v in losses), \
            f"{name} should return 60 Python floats (loss.item() per step), got {losses!r:.80}."
    end32, end_amp = sum(fp32[-4:]) / 4, sum(amp[-4:]) / 4
    assert end32 < 0.5 * fp32[0], f"float32 training did not learn (loss {fp32[0]:.3f} -> {end32:.3f}); check train_fp32."
    assert abs(end_amp - end32) < 0.05, (
        f"after 60 steps the mixed-precision loss averages {end_amp:.4f} over the last 4 steps but float32 "
        f"reaches {end32:.4f}; they should be within 0.05. Check that both loops use the same recipe.")


def test_float16_turns_on_a_grad_scaler(monkeypatch):
    train_amp = get_function("train_amp", AMP_SIG)
    scaled = []
    original = torch.amp.GradScaler.scale

    def spy(self, outputs):
        scaled.append(self.is_enabled())
        return original(self, outputs)

    monkeypatch.setattr(torch.amp.GradScaler, "scale", spy)
    model = make_model()
    seen = record_linear_dtypes(model)
    losses = train_amp(model, make_data(), 4, DEVICE, torch.float16)
    assert set(seen) == {torch.float16}, \
        f"with dtype=torch.float16 the nn.Linear outputs were {sorted(set(map(str, seen)))}; expected float16."
    assert len(scaled) == 4 and all(scaled), (
        f"with dtype=torch.float16, an enabled GradScaler scaled the loss in {sum(scaled)} of 4 steps. "
        "Create `torch.amp.GradScaler(device_type, enabled=(dtype == torch.float16))` and call "
        "`scaler.scale(loss).backward()`, `scaler.step(optimizer)`, `scaler.update()` every step.")
    assert all(v == v and abs(v) != float("inf") for v in losses), f"float16 training produced non-finite losses: {losses}"
