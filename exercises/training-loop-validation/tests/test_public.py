"""Public tests for the training loop with validation: run by *Run* and shown to the learner.

The tests wrap your model and the data loaders in small probes that note, for every forward
pass, whether it happened during training or validation, in train or eval mode, with or
without gradients, and the summed loss of that batch. They compare what your loop reports
with what actually happened.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_harness import artifacts, get_function

SIGNATURE = "train(model, train_loader, val_loader, *, epochs: int, lr: float) -> dict"
N_TRAIN, N_VAL, BATCH = 50, 40, 16  # the last training batch has 2 samples, the last validation batch 8


class Probe:
    """What the loaders and the model saw, in order."""

    def __init__(self):
        self.phase, self.pass_index, self.target = None, -1, None
        self.passes = {"train": 0, "val": 0}
        self.calls = []        # one dict per forward pass
        self.snapshots = []    # model.state_dict() copies taken as each validation pass starts


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
    """A DataLoader that tells the probe which phase (train or val) each batch belongs to."""

    def __init__(self, loader, tag, model):
        self.loader, self.tag, self.model = loader, tag, model

    def __getattr__(self, name):  # dataset, batch_size, ... come from the real loader
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


def make_data(seed=0):
    """A noisy 1-D function of 4 inputs: 50 training and 40 validation samples."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(N_TRAIN + N_VAL, 4, generator=g)  # (90, 4)
    w = torch.randn(4, 1, generator=g)
    y = torch.sin(X @ (1.5 * w / w.norm())) + 0.3 * torch.randn(N_TRAIN + N_VAL, 1, generator=g)  # (90, 1)
    return TensorDataset(X[:N_TRAIN], y[:N_TRAIN]), TensorDataset(X[N_TRAIN:], y[N_TRAIN:])


def run_training(epochs, lr=0.01, net=None, train_batch=BATCH, val_batch=BATCH):
    """Call your train() on a probed model and loaders; return (result, model)."""
    torch.manual_seed(0)
    train_set, val_set = make_data()
    model = Recorder(net or nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 1)))
    train_loader = TaggedLoader(DataLoader(train_set, batch_size=train_batch, shuffle=True,
                                           generator=torch.Generator().manual_seed(1)), "train", model)
    val_loader = TaggedLoader(DataLoader(val_set, batch_size=val_batch), "val", model)
    result = get_function("train", SIGNATURE)(model, train_loader, val_loader, epochs=epochs, lr=lr)
    check_result_shape(result, epochs)
    return result, model


def check_result_shape(result, epochs):
    if not isinstance(result, dict):
        raise AssertionError(f"train should return a dict, got {type(result).__name__}.")
    missing = [k for k in ("train_loss", "val_loss", "best_epoch", "best_state") if k not in result]
    assert not missing, f"the dict train returns is missing the key(s) {missing}."
    for key in ("train_loss", "val_loss"):
        values = result[key]
        assert isinstance(values, list) and len(values) == epochs, (
            f"result[{key!r}] should be a list with one value per epoch ({epochs}), got {values!r:.80}.")
        for v in values:
            assert isinstance(v, float) and math.isfinite(v), (
                f"result[{key!r}] should hold finite Python floats (use loss.item()), found {v!r:.60}.")
    assert isinstance(result["best_epoch"], int), (
        f"result['best_epoch'] should be an int (0-based epoch index), got {result['best_epoch']!r:.60}.")


def per_pass(model, phase, epochs, n):
    """Per-sample average of the recorded losses of each pass of one phase."""
    calls = [c for c in model.probe.calls if c["phase"] == phase]
    totals = [sum(c["loss"] for c in calls if c["index"] == e) for e in range(epochs)]
    batch_means = [[c["loss"] / c["n"] for c in calls if c["index"] == e] for e in range(epochs)]
    return [t / n for t in totals], [sum(b) / len(b) if b else float("nan") for b in batch_means]


def test_returns_one_loss_per_epoch_and_learns():
    result, _ = run_training(epochs=40)
    board = artifacts()
    board.line("training loss", result["train_loss"], x_label="epoch", y_label="MSE per sample")
    board.line("validation loss", result["val_loss"], x_label="epoch", y_label="MSE per sample")
    first, last = result["train_loss"][0], sum(result["train_loss"][-5:]) / 5
    assert last < first, (f"the training loss did not go down (epoch 0: {first:.4f}, mean of the last 5 epochs: "
                          f"{last:.4f}); check that every batch runs zero_grad, backward and optimizer.step().")


def test_validation_runs_in_eval_mode_without_gradients():
    _, model = run_training(epochs=3)
    probe = model.probe
    assert probe.passes == {"train": 3, "val": 3}, (
        f"over 3 epochs the training loader should be iterated 3 times and the validation loader 3 times "
        f"(once per epoch each); got {probe.passes['train']} and {probe.passes['val']}.")
    for c in probe.calls:
        if c["phase"] == "val":
            assert not c["training"], (f"in epoch {c['index']} a validation batch ran with the model in training "
                                       "mode: call model.eval() before validating, so dropout is switched off.")
            assert not c["grad"], (f"in epoch {c['index']} a validation batch ran with gradients enabled: wrap the "
                                   "validation loop in `with torch.no_grad():` (no graph is needed to evaluate).")
        elif c["phase"] == "train":
            assert c["training"], (f"in epoch {c['index']} a training batch ran with the model in eval mode: call "
                                   "model.train() at the start of every epoch (validation switched it to eval).")
            assert c["grad"], f"in epoch {c['index']} a training batch ran without gradients enabled."


def test_losses_are_averaged_per_sample():
    epochs = 3
    result, model = run_training(epochs=epochs)
    for phase, key, n in (("train", "train_loss", N_TRAIN), ("val", "val_loss", N_VAL)):
        expected, batch_avg = per_pass(model, phase, epochs, n)
        for e in range(epochs):
            got = result[key][e]
            if not math.isclose(got, expected[e], rel_tol=1e-5, abs_tol=1e-7):
                hint = (" That is the average of the batch means: the last batch is smaller, so each of its samples "
                        "weighs more than the others. Add up loss.item() * batch size and divide by the number of samples."
                        if math.isclose(got, batch_avg[e], rel_tol=1e-5) else "")
                raise AssertionError(f"{key}[{e}] is {got:.6f}, but the mean squared error over all {n} samples of "
                                     f"that epoch's {phase} batches is {expected[e]:.6f}.{hint}")


def test_best_state_is_a_copy_taken_at_the_best_epoch():
    result, model = run_training(epochs=15)
    val = result["val_loss"]
    best = min(range(len(val)), key=lambda e: (val[e], e))
    assert result["best_epoch"] == best, (
        f"best_epoch is {result['best_epoch']}, but the lowest val_loss ({val[best]:.6f}) is at epoch {best} "
        "(0-based; on a tie, keep the earliest).")
    state = result["best_state"]
    current = model.state_dict()
    assert isinstance(state, dict) and set(state) == set(current), (
        "best_state should be a copy of model.state_dict() (same keys), got "
        f"{sorted(state)[:6] if isinstance(state, dict) else type(state).__name__}.")
    for key, value in state.items():
        assert value.data_ptr() != current[key].data_ptr(), (
            f"best_state[{key!r}] shares memory with the model's parameter, so it keeps changing as training goes "
            "on: store copy.deepcopy(model.state_dict()) (or clone every tensor).")
        snapshot = model.probe.snapshots[best][key]
        assert torch.equal(value, snapshot), (
            f"best_state[{key!r}] is not what the model held when epoch {best} was validated; take the copy right "
            "after computing that epoch's validation loss.")
