"""Hidden tests for training a GPT on tiny Shakespeare: run only on *Submit*.

They watch your `train` from the outside: a hook on the model notes every forward pass
(the inputs, the targets, train/eval mode, gradients on or off), on data where training
and validation use different characters, so each pass can be told apart.
"""
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

TRAIN_SIGNATURE = "train(model, train_data, val_data, *, budget_s, device, batch_size, lr, ...) -> dict"
CONFIG_SIGNATURE = "GPTConfig(vocab_size, block_size, n_layer, n_head, n_embd, dropout, bias)"
GPT_SIGNATURE = "class GPT(nn.Module) with forward(idx, targets=None) -> (logits, loss)"
VOCAB, TRAIN_IDS, BLOCK, BATCH, BUDGET_S = 40, 20, 16, 8, 3.0  # ids < 20 are training data, >= 20 validation


def build_model(**overrides):
    fields = dict(vocab_size=VOCAB, block_size=BLOCK, n_layer=2, n_head=2, n_embd=32, dropout=0.0, bias=True)
    fields.update(overrides)
    model = get_function("GPT", GPT_SIGNATURE)(get_function("GPTConfig", CONFIG_SIGNATURE)(**fields))
    if not isinstance(model, nn.Module):
        raise AssertionError(f"GPT(config) should be an nn.Module, got {type(model).__name__}.")
    return model


@pytest.fixture(scope="module")
def watched_run():
    """Run the learner's train once on marked data, recording every forward pass."""
    # Pay PyTorch's one-time start-up costs (the first optimizer imports for seconds) outside the 3-second budget.
    warm = nn.Linear(2, 2)
    warm_opt = torch.optim.AdamW(warm.parameters())
    warm(torch.zeros(1, 2)).sum().backward()
    warm_opt.step()
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(5)
    train_data = torch.randint(0, TRAIN_IDS, (3000,), generator=g)
    val_data = torch.randint(TRAIN_IDS, VOCAB, (800,), generator=g)
    model = build_model()
    calls = []  # the first 50 passes with gradients and the first 1000 without
    counts = {"grad": 0, "grad_in_eval_mode": 0, "no_grad": 0}

    def note(module, args, kwargs):
        idx = args[0] if args else kwargs.get("idx")
        targets = args[1] if len(args) > 1 else kwargs.get("targets")
        if not isinstance(idx, torch.Tensor):
            return
        grad = torch.is_grad_enabled()
        key = "grad" if grad else "no_grad"
        counts[key] += 1
        counts["grad_in_eval_mode"] += int(grad and not module.training)
        if counts[key] <= (50 if grad else 1000):
            calls.append(dict(idx=idx.detach().cpu().clone(),
                              targets=targets.detach().cpu().clone() if isinstance(targets, torch.Tensor) else None,
                              training=module.training, grad=grad))

    model.register_forward_pre_hook(note, with_kwargs=True)
    train = get_function("train", TRAIN_SIGNATURE)
    start = time.perf_counter()
    result = train(model, train_data, val_data, budget_s=BUDGET_S, device="cpu", batch_size=BATCH, lr=1e-3)
    return dict(calls=calls, counts=counts, took=time.perf_counter() - start, train_data=train_data, result=result)


def test_the_model_is_causal():
    model = build_model(n_layer=3).eval()
    idx = torch.randint(0, VOCAB, (2, BLOCK))
    changed = idx.clone()
    changed[:, 10:] = (idx[:, 10:] + 7) % VOCAB
    with torch.no_grad():
        before, _ = model(idx)
        after, _ = model(changed)
    assert_tensor_close(after[:, :10], before[:, :10], atol=1e-5,
                        name="the logits at positions 0..9 after changing the characters at 10..15 (the model "
                             "must not see the future: keep the causal mask in the attention)")


def test_the_model_loss_is_the_cross_entropy_of_the_given_targets():
    model = build_model().eval()
    idx = torch.randint(0, VOCAB, (3, BLOCK))
    targets = torch.randint(0, VOCAB, (3, BLOCK))
    logits, loss = model(idx, targets)
    expected = F.cross_entropy(logits.float().reshape(-1, VOCAB), targets.reshape(-1))
    assert_tensor_close(loss.float(), expected, atol=1e-4,
                        name="model(idx, targets)[1] (targets are already shifted by the batches: the loss is the "
                             "cross-entropy of every position's logits against targets at the same position)")


def test_training_batches_pair_each_window_with_the_next_characters(watched_run):
    steps = [c for c in watched_run["calls"] if c["grad"]]
    assert steps, ("no forward pass with gradients enabled was seen during train: train the model you are given, "
                   "calling model(x, y).")
    data = watched_run["train_data"]
    all_windows = data.unfold(0, BLOCK + 1, 1)  # (N - BLOCK, BLOCK + 1): every window and its next character
    for call in steps[:5]:
        x, y = call["idx"], call["targets"]
        assert y is not None, ("your training step calls the model without targets; call `logits, loss = "
                               "model(x, y)` so the model computes the loss.")
        assert tuple(x.shape) == (BATCH, BLOCK) and tuple(y.shape) == (BATCH, BLOCK), (
            f"with batch_size={BATCH} and block_size={BLOCK} the training batches should be ({BATCH}, {BLOCK}); "
            f"got x {tuple(x.shape)} and y {tuple(y.shape)}.")
        assert int(x.max()) < TRAIN_IDS and int(y.max()) < TRAIN_IDS, (
            "a training batch contains characters from val_data: draw training windows from train_data only.")
        assert torch.equal(y[:, :-1], x[:, 1:]), (
            "the targets are not the inputs shifted by one character: for a window starting at i use "
            "x = data[i : i+T] and y = data[i+1 : i+1+T], so y[t] is the character that follows x[t].")
        rows = torch.cat([x, y[:, -1:]], dim=1)  # (B, T + 1)
        found = (all_windows[None, :, :] == rows[:, None, :]).all(dim=-1).any(dim=-1)  # (B,)
        assert bool(found.all()), "a training window is not a contiguous piece of train_data."
    starts = {tuple(row.tolist()) for row in steps[0]["idx"]}
    assert len(starts) > 1, "every window of the first batch is the same: draw a random start for each row."
    firsts = [tuple(c["idx"][0].tolist()) for c in steps[:5]]
    assert len(set(firsts)) > 1, "the first five batches are identical: draw fresh random windows at every step."


def test_validation_runs_in_eval_mode_without_gradients(watched_run):
    calls = watched_run["calls"]
    val_calls = [c for c in calls if int(c["idx"].min()) >= TRAIN_IDS]
    assert val_calls, "train never ran the model on val_data: estimate the validation loss at the end of training."
    for c in val_calls:
        assert not c["training"], ("the validation loss was computed in training mode: call model.eval() before "
                                   "evaluating (dropout must be off) and model.train() before training again.")
        assert not c["grad"], "evaluate under torch.no_grad(): validation needs no gradients."
    assert watched_run["counts"]["grad_in_eval_mode"] == 0, (
        "a training step ran with the model in eval mode: call model.train() after each evaluation.")


def test_train_stops_within_its_time_budget(watched_run):
    took = watched_run["took"]
    assert took < BUDGET_S + 6.0, (f"train(budget_s={BUDGET_S:g}) ran for {took:.1f} s: the loop must stop by "
                                   "budget_s seconds (time.perf_counter()), final evaluation included.")
    result = watched_run["result"]
    assert isinstance(result, dict) and isinstance(result.get("steps"), int) and result["steps"] > 0, (
        f"train should return a dict with steps > 0, got {result!r:.80}.")
