"""Hidden tests for the training loop with validation: edge cases, run only on *Submit*."""
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_harness import get_function

SIGNATURE = "train(model, train_loader, val_loader, *, epochs: int, lr: float) -> dict"
N_TRAIN, N_VAL = 50, 40


class Probe:
    def __init__(self):
        self.phase, self.pass_index, self.target = None, -1, None
        self.passes = {"train": 0, "val": 0}
        self.calls = []
        self.snapshots = []


class Recorder(nn.Module):
    """Wraps a network; notes phase, mode, grad mode and summed loss of every forward pass."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.probe = Probe()

    def forward(self, x):
        out = self.net(x)
        p = self.probe
        loss = None
        if p.target is not None and p.target.shape == out.shape:
            loss = F.mse_loss(out.detach().double(), p.target.double(), reduction="sum").item()
        p.calls.append(dict(phase=p.phase, index=p.pass_index, training=self.training,
                            grad=torch.is_grad_enabled(), n=len(x), loss=loss))
        return out


class TaggedLoader:
    def __init__(self, loader, tag, model):
        self.loader, self.tag, self.model = loader, tag, model

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        probe = self.model.probe
        index = probe.passes[self.tag]
        probe.passes[self.tag] += 1
        if self.tag == "val":
            probe.snapshots.append({k: v.detach().clone() for k, v in self.model.state_dict().items()})
        for x, y in self.loader:
            probe.phase, probe.pass_index, probe.target = self.tag, index, y
            yield x, y
        probe.phase, probe.target = None, None


def make_data(seed=4):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(N_TRAIN + N_VAL, 4, generator=g)
    w = torch.randn(4, 1, generator=g)
    y = torch.sin(X @ (1.5 * w / w.norm())) + 0.3 * torch.randn(N_TRAIN + N_VAL, 1, generator=g)
    return TensorDataset(X[:N_TRAIN], y[:N_TRAIN]), TensorDataset(X[N_TRAIN:], y[N_TRAIN:])


def dropout_net():
    return nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 1))


def batchnorm_net():
    return nn.Sequential(nn.Linear(4, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))


def run_training(epochs, lr=0.01, net=None, train_batch=16, val_batch=16):
    torch.manual_seed(0)
    train_set, val_set = make_data()
    model = Recorder(net if net is not None else dropout_net())
    train_loader = TaggedLoader(DataLoader(train_set, batch_size=train_batch, shuffle=True,
                                           generator=torch.Generator().manual_seed(2)), "train", model)
    val_loader = TaggedLoader(DataLoader(val_set, batch_size=val_batch), "val", model)
    result = get_function("train", SIGNATURE)(model, train_loader, val_loader, epochs=epochs, lr=lr)
    if not isinstance(result, dict) or not {"train_loss", "val_loss", "best_epoch", "best_state"} <= set(result):
        raise AssertionError("train should return a dict with train_loss, val_loss, best_epoch and best_state.")
    return result, model, val_set


def eval_loss(model, state, dataset):
    """Per-sample MSE of ``model`` loaded with ``state``, in eval mode, over the whole dataset."""
    twin = copy.deepcopy(model)
    twin.load_state_dict(state)
    twin.eval()
    X, y = dataset.tensors
    with torch.no_grad():
        return F.mse_loss(twin.net(X).double(), y.double()).item()


def test_ties_keep_the_earliest_epoch():
    # lr = 0: the weights never change, so every epoch has exactly the same validation loss.
    result, model, _ = run_training(epochs=4, lr=0.0)
    val = result["val_loss"]
    assert len(set(val)) == 1, (f"with lr=0 the weights never change, so every epoch should report the same "
                                f"val_loss (eval mode is deterministic), got {val}.")
    assert result["best_epoch"] == 0, (f"all epochs tie, so best_epoch should be the earliest, 0, got "
                                       f"{result['best_epoch']}: replace the best only when the new loss is "
                                       "strictly lower.")


def test_batchnorm_statistics_are_kept_and_frozen_in_validation():
    result, model, val_set = run_training(epochs=6, net=batchnorm_net())
    for c in model.probe.calls:
        if c["phase"] == "val":
            assert not c["training"], ("a validation batch ran in training mode: with BatchNorm that also "
                                       "overwrites the running statistics with validation data. Call model.eval().")
    state, current = result["best_state"], model.state_dict()
    assert isinstance(state, dict) and set(state) == set(current), (
        "best_state should be a copy of the whole model.state_dict(), buffers included (BatchNorm's running_mean, "
        f"running_var, num_batches_tracked); missing keys: {sorted(set(current) - set(state or {}))}.")
    best = result["best_epoch"]
    for key, value in state.items():
        assert torch.equal(value, model.probe.snapshots[best][key]), (
            f"best_state[{key!r}] differs from the model's {key} when epoch {best} was validated.")
    again = eval_loss(model, state, val_set)
    assert math.isclose(again, result["val_loss"][best], rel_tol=1e-5), (
        f"loading best_state gives a validation loss of {again:.6f}, but val_loss[{best}] is "
        f"{result['val_loss'][best]:.6f}.")


def test_val_loss_is_the_eval_mode_loss_of_that_epoch_weights():
    result, model, val_set = run_training(epochs=5, val_batch=12)  # 40 samples: batches of 12, 12, 12, 4
    for e, snapshot in enumerate(model.probe.snapshots):
        want, got = eval_loss(model, snapshot, val_set), result["val_loss"][e]
        assert math.isclose(got, want, rel_tol=1e-5), (
            f"val_loss[{e}] is {got:.6f}, but the weights after epoch {e}, in eval mode, have a mean squared error "
            f"of {want:.6f} over the 40 validation samples (average per sample, with dropout off).")


def test_one_epoch_with_a_single_validation_batch_and_a_last_batch_of_one():
    result, model, val_set = run_training(epochs=1, train_batch=7, val_batch=64)  # 50 = 7·7 + 1
    assert len(result["train_loss"]) == 1 and len(result["val_loss"]) == 1, "one epoch should give one value each."
    calls = [c for c in model.probe.calls if c["phase"] == "train"]
    want = sum(c["loss"] for c in calls) / N_TRAIN
    assert math.isclose(result["train_loss"][0], want, rel_tol=1e-5), (
        f"train_loss[0] is {result['train_loss'][0]:.6f}, but the per-sample mean over the 50 training samples is "
        f"{want:.6f} (the last batch holds a single sample and must count as one sample, not as a whole batch).")
    assert result["best_epoch"] == 0, f"with one epoch, best_epoch must be 0, got {result['best_epoch']}."
    want = eval_loss(model, model.probe.snapshots[0], val_set)
    assert math.isclose(result["val_loss"][0], want, rel_tol=1e-5), (
        f"val_loss[0] is {result['val_loss'][0]:.6f}, expected {want:.6f}.")


def test_best_state_does_not_change_when_the_model_is_trained_further():
    result, model, _ = run_training(epochs=4)
    saved = {k: v.clone() for k, v in result["best_state"].items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)  # keep "training" after train() returned
    for key, value in result["best_state"].items():
        assert torch.equal(value, saved[key]), (
            f"changing the model after train() returned also changed best_state[{key!r}]: it must be a copy "
            "(copy.deepcopy(model.state_dict())), not a view of the live parameters.")


def test_losses_match_a_replayed_reference_loop():
    # A deterministic network (no dropout): the reference loop below must give the very same numbers.
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    initial = copy.deepcopy(net)
    train_set, val_set = make_data(seed=6)

    def loaders(model):
        return (TaggedLoader(DataLoader(train_set, batch_size=16, shuffle=True,
                                        generator=torch.Generator().manual_seed(5)), "train", model),
                TaggedLoader(DataLoader(val_set, batch_size=16, generator=torch.Generator().manual_seed(6)),
                             "val", model))

    model = Recorder(net)
    result = get_function("train", SIGNATURE)(model, *loaders(model), epochs=5, lr=0.02)
    ref = Recorder(initial)
    ref_train, ref_val = loaders(ref)
    opt = torch.optim.Adam(ref.parameters(), lr=0.02)
    expected = {"train_loss": [], "val_loss": []}
    for _ in range(5):
        ref.train()
        total = 0.0
        for x, y in ref_train:
            opt.zero_grad()
            loss = F.mse_loss(ref(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        expected["train_loss"].append(total / N_TRAIN)
        ref.eval()
        with torch.no_grad():
            expected["val_loss"].append(sum(F.mse_loss(ref(x), y, reduction="sum").item() for x, y in ref_val) / N_VAL)
    for key in ("train_loss", "val_loss"):
        for e, (got, want) in enumerate(zip(result[key], expected[key])):
            assert math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-6), (
                f"{key}[{e}] is {got:.6f}, but replaying the recipe (one Adam(lr=lr) created before the first "
                "epoch; per batch zero_grad, forward, F.mse_loss, backward, step) gives "
                f"{[round(v, 6) for v in expected[key]]}. Check that the optimizer is created once and that "
                "every training batch starts with zero_grad().")
