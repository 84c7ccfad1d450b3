"""Hidden tests for the activation/optimiser experiments: edge cases, run only on *Submit*."""
import math

import pytest
import torch

from course_harness import get_function

SIGNATURE = "run_experiment(activation: str, optimizer: str, steps: int, seed: int) -> list[float]"


def run(activation, optimizer, steps, seed=0):
    curve = get_function("run_experiment", SIGNATURE)(activation, optimizer, steps, seed)
    what = f'run_experiment("{activation}", "{optimizer}", steps={steps}, seed={seed})'
    if not isinstance(curve, (list, tuple)) or len(curve) != steps:
        raise AssertionError(f"{what} should return a list of {steps} losses.")
    return [float(v) for v in curve]


def test_different_seeds_give_different_curves():
    a, b = run("relu", "sgd", steps=10, seed=0), run("relu", "sgd", steps=10, seed=1)
    assert a != b, ("seed=0 and seed=1 gave the same curve: the seed should decide the initial weights "
                    "(torch.manual_seed(seed) before building the model).")


@pytest.mark.parametrize("activation, optimizer, bad", [
    ("swish", "adam", "swish"), ("relu", "rmsprop", "rmsprop"), ("ReLU", "sgd", "ReLU")])
def test_unknown_names_raise_value_error_listing_the_choices(activation, optimizer, bad):
    fn = get_function("run_experiment", SIGNATURE)
    with pytest.raises(ValueError) as info:
        fn(activation, optimizer, 5, 0)
    message = str(info.value)
    choices = ("relu", "tanh", "sigmoid") if bad in (activation,) else ("sgd", "momentum", "adam")
    missing = [c for c in choices if c not in message]
    assert not missing, f"the ValueError for {bad!r} should list the valid names; {message!r} lacks {missing}."


def test_first_loss_is_that_of_an_untrained_network():
    for activation in ("relu", "tanh", "sigmoid"):
        first = run(activation, "adam", steps=1, seed=3)[0]
        assert 0.5 < first < 0.95, (
            f"the first loss for {activation} is {first:.4f}; an untrained 2-class network scores close to "
            f"ln 2 = {math.log(2):.3f}. Record the mean cross-entropy before the first update.")


def test_momentum_and_adam_beat_plain_sgd_with_relu():
    sgd, momentum, adam = (run("relu", o, steps=200, seed=2)[-1] for o in ("sgd", "momentum", "adam"))
    assert momentum < sgd and adam < sgd, (
        f"after 200 steps with relu: sgd {sgd:.4f}, momentum {momentum:.4f}, adam {adam:.4f}. Momentum (0.9) and "
        "Adam should both end below plain SGD; check that 'momentum' passes momentum=0.9 to torch.optim.SGD.")


def test_sigmoid_with_sgd_still_learns_a_little():
    curve = run("sigmoid", "sgd", steps=200, seed=0)
    assert curve[-1] < curve[0], (
        f"sigmoid + sgd went from {curve[0]:.4f} to {curve[-1]:.4f} in 200 steps; it is slow, but the loss "
        "should still go down.")


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


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_every_combination_matches_the_reference_curve(activation):
    for optimizer in ("sgd", "momentum", "adam"):
        mine = run(activation, optimizer, steps=40, seed=5)
        compare_curves(mine, reference_curve(activation, optimizer, 40, 5),
                       f'run_experiment("{activation}", "{optimizer}", steps=40, seed=5)')
