"""Public tests for the activation/optimiser experiments: run by *Run* and shown to the learner."""
import math

import pytest
import torch

from course_harness import artifacts, get_function

SIGNATURE = "run_experiment(activation: str, optimizer: str, steps: int, seed: int) -> list[float]"
ACTIVATIONS = ("relu", "tanh", "sigmoid")
OPTIMIZERS = ("sgd", "momentum", "adam")
_CACHE = {}


def run(activation, optimizer, steps, seed=0):
    """Call the learner's function and check it returns `steps` finite Python floats."""
    curve = get_function("run_experiment", SIGNATURE)(activation, optimizer, steps, seed)
    what = f'run_experiment("{activation}", "{optimizer}", steps={steps}, seed={seed})'
    if not isinstance(curve, (list, tuple)):
        raise AssertionError(f"{what} should return a list of floats, got {type(curve).__name__}.")
    if len(curve) != steps:
        raise AssertionError(f"{what} returned {len(curve)} losses; expected one per step, {steps} in all.")
    bad = [v for v in curve if not isinstance(v, float)]
    if bad:
        raise AssertionError(f"{what} returned a {type(bad[0]).__name__} among the losses; record plain Python "
                             "floats with loss.item() (a tensor would also keep the whole graph alive).")
    if not all(math.isfinite(v) for v in curve):
        raise AssertionError(f"{what} produced a NaN or infinite loss.")
    return list(curve)


def all_curves(steps=300):
    """The nine curves for seed 0, computed once and shared between tests."""
    if "curves" not in _CACHE:
        _CACHE["curves"] = {(a, o): run(a, o, steps) for a in ACTIVATIONS for o in OPTIMIZERS}
    return _CACHE["curves"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_combination_returns_one_finite_loss_per_step(activation):
    for optimizer in OPTIMIZERS:
        run(activation, optimizer, steps=20)


def test_relu_with_adam_ends_lower_than_sigmoid_with_sgd():
    curves = all_curves()
    ranking = sorted(curves, key=lambda key: curves[key][-1])  # lowest final loss first
    best, worst = ranking[0], ranking[-1]
    board = artifacts()
    board.line(f"best: {best[0]} + {best[1]}", curves[best], x_label="step", y_label="training loss")
    board.line(f"worst: {worst[0]} + {worst[1]}", curves[worst], x_label="step", y_label="training loss")
    board.text("final loss after 300 steps (seed 0)",
               "\n".join(f"{a:8s} + {o:9s} {curves[(a, o)][-1]:.4f}" for a, o in ranking))
    good, bad = curves[("relu", "adam")][-1], curves[("sigmoid", "sgd")][-1]
    assert good < bad, (
        f"after 300 steps relu + adam reached a loss of {good:.4f}, not lower than sigmoid + sgd ({bad:.4f}). "
        "Check the learning rates (sgd 0.1, adam 0.01) and that each name picks the right activation and optimiser.")
    assert good < 0.2, (f"relu + adam should fit the two moons well within 300 steps (loss below 0.2), but ended at "
                        f"{good:.4f}. Is the optimiser stepping on every iteration?")


def test_same_seed_gives_identical_curves():
    first = run("tanh", "momentum", steps=30, seed=7)
    second = run("tanh", "momentum", steps=30, seed=7)
    assert first == second, (
        "two calls with the same arguments (seed=7) gave different curves: call torch.manual_seed(seed) right "
        "before building the model, and use no other randomness.")


def reference_curve(activation, optimizer, steps, seed):
    """The experiment exactly as the prompt describes it, to compare the learner's losses with."""
    import torch.nn.functional as F
    from sklearn.datasets import make_moons
    from torch import nn

    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.long)
    torch.manual_seed(seed)
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[activation]
    model = nn.Sequential(nn.Linear(2, 16), act(), nn.Linear(16, 16), act(), nn.Linear(16, 2))
    opt = {"sgd": lambda p: torch.optim.SGD(p, lr=0.1),
           "momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
           "adam": lambda p: torch.optim.Adam(p, lr=0.01)}[optimizer](model.parameters())
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(X), y)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def compare_curves(mine, expected, what):
    """Fail at the first step where the learner's loss differs from the reference."""
    for step, (a, b) in enumerate(zip(mine, expected)):
        if abs(a - b) > 1e-4 + 1e-4 * abs(b):
            raise AssertionError(
                f"{what}: the loss at step {step} is {a:.6f}, expected {b:.6f} (the losses before it matched "
                f"{'nothing' if step == 0 else f'for {step} step(s)'}). " + (
                    "Step 0 is the loss of the untrained network: seed with torch.manual_seed(seed), then build "
                    "Linear(2, 16) -> act -> Linear(16, 16) -> act -> Linear(16, 2) in that order, on the data "
                    "make_moons(n_samples=200, noise=0.2, random_state=0)." if step == 0 else
                    "Record loss.item() before the update, call zero_grad every step, and use exactly the "
                    "optimiser of the table (sgd lr=0.1; momentum lr=0.1, momentum=0.9; adam lr=0.01)."))


@pytest.mark.parametrize("activation, optimizer", [("relu", "adam"), ("sigmoid", "momentum")])
def test_losses_match_the_described_experiment(activation, optimizer):
    mine = run(activation, optimizer, steps=30, seed=0)
    compare_curves(mine, reference_curve(activation, optimizer, 30, 0),
                   f'run_experiment("{activation}", "{optimizer}", steps=30, seed=0)')
