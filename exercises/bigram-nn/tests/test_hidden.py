"""Hidden tests for the neural bigram model: run only on *Submit*.

They watch `train` from outside (hooks on the table and on every optimizer step) and use the
model the way the video does next: batches of contexts, generating on, other vocabulary sizes.
"""
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from course_harness import get_function

MODEL_SIGNATURE = "class BigramLanguageModel(nn.Module) with forward(idx, targets=None) -> (logits, loss)"
TRAIN_SIGNATURE = "train(model, data, *, steps, batch_size, block_size, lr) -> list of losses"


def make_model(vocab_size):
    return get_function("BigramLanguageModel", MODEL_SIGNATURE)(vocab_size)


def test_every_step_applies_only_the_gradient_of_its_own_batch():
    torch.manual_seed(6)
    V = 8
    model = make_model(V)
    [table] = [p for p in model.parameters() if p.requires_grad]
    fresh, worst = [], []

    def on_backward(grad):
        fresh.append(grad.detach().clone())

    def on_step(optimizer, args, kwargs):
        applied = table.grad
        if applied is not None and fresh:
            latest = fresh[-1]
            worst.append(((applied.detach() - latest).norm() / latest.norm().clamp_min(1e-12)).item())
        fresh.clear()

    handles = [table.register_hook(on_backward), register_optimizer_step_pre_hook(on_step)]
    try:
        data = torch.randint(V, (500,), generator=torch.Generator().manual_seed(1))
        get_function("train", TRAIN_SIGNATURE)(model, data, steps=5, batch_size=4, block_size=6, lr=0.05)
    finally:
        for handle in handles:
            handle.remove()
    assert len(worst) == 5, f"train(..., steps=5) should make 5 optimizer steps with a gradient; saw {len(worst)}."
    assert max(worst) < 1e-4, (
        "an optimizer step applied more than the gradient of its own batch (gradients from earlier steps were "
        "still there): call optimizer.zero_grad() before each loss.backward().")


def test_the_losses_fall_as_the_model_learns_a_pattern():
    torch.manual_seed(7)
    V = 10
    model = make_model(V)
    data = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7] * 40)
    losses = get_function("train", TRAIN_SIGNATURE)(model, data, steps=300, batch_size=16, block_size=5, lr=0.05)
    assert len(losses) == 300, f"train(..., steps=300) should return 300 losses, got {len(losses)}."
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 1.0, (
        f"on a short repeating text the loss should fall by well over 1 nat in 300 steps; it went from "
        f"{first:.3f} to {last:.3f}.")


def test_generate_continues_a_batch_of_contexts_without_changing_them():
    torch.manual_seed(8)
    V = 13
    model = make_model(V)
    context = torch.randint(V, (4, 6))
    kept = context.clone()
    out = model.generate(context, 9)
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (4, 15), (
        f"generate(idx of shape (4, 6), 9) should return shape (4, 15), got {getattr(out, 'shape', None)}.")
    assert torch.equal(context, kept), "generate should not change the tensor it was given."
    assert torch.equal(out[:, :6], kept), "the generated tokens should follow the context."
    assert out.dtype == torch.long and 0 <= int(out.min()) and int(out.max()) < V, (
        f"generated tokens should be ids from 0 to {V - 1} (int64), got dtype {out.dtype} and range "
        f"{int(out.min())}..{int(out.max())}.")
    with torch.no_grad():
        logits, loss = model(out)
    assert tuple(logits.shape) == (4, 15, V) and loss is None, "the model should take its own output as input."
