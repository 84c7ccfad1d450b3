"""Public tests for checkpointing and resuming: run by *Run* and shown to the learner."""
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import artifacts, assert_tensor_close, get_function

TRAIN_SIG = "train_steps(model, optimizer, data, steps, start_step=0) -> list[float]"
SAVE_SIG = "save_checkpoint(path, model, optimizer, step, rng_state=True) -> None"
LOAD_SIG = "load_checkpoint(path, model, optimizer) -> int"


def make_data(n_batches=4, batch=16, seed=0):
    """A list of (x (B, 6), y (B,)) mini-batches of a 3-class problem, from its own generator."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(6, 3, generator=g)
    data = []
    for _ in range(n_batches):
        x = torch.randn(batch, 6, generator=g)
        data.append((x, (x @ w).argmax(dim=1)))
    return data


def make_model(seed):
    """A small MLP with dropout, so the random number generator matters during training."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))


def reference_steps(model, optimizer, data, steps, start_step=0):
    model.train()
    losses = []
    for s in range(start_step, start_step + steps):
        x, y = data[s % len(data)]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def diagnose(got, expected):
    if len(got) != len(expected):
        return f"train_steps returned {len(got)} losses for {len(expected)} steps."
    first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
    if first == 0:
        return ("the very first step after resuming already differs: check that the weights are loaded, "
                "that the RNG state is restored (the dropout mask of that step comes from it) and that "
                "start_step picks the right batch.")
    return (f"the first {first} step(s) match, then step {first} differs: the weights and dropout are right, "
            "so the optimizer's state (Adam's moment estimates and step count) was probably not restored.")


def test_train_steps_matches_a_plain_loop_and_picks_batch_step_mod_len():
    train_steps = get_function("train_steps", TRAIN_SIG)
    data = make_data()
    model, ref = make_model(1), make_model(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    torch.manual_seed(5)
    got = train_steps(model, opt, data, 6, start_step=3)   # batches 3, 0, 1, 2, 3, 0
    torch.manual_seed(5)
    expected = reference_steps(ref, ref_opt, data, 6, start_step=3)
    assert isinstance(got, list) and all(isinstance(v, float) for v in got), \
        f"train_steps should return a list of Python floats (use loss.item()), got {got!r:.80}."
    assert got == expected, (
        f"train_steps(..., steps=6, start_step=3) gave losses {[round(v, 5) for v in got]}, expected "
        f"{[round(v, 5) for v in expected]}. Step s must train on data[s % len(data)] with model.train(), "
        "zero_grad, F.cross_entropy, backward and step, in that order."
    )


def test_resumed_run_reproduces_the_uninterrupted_losses_exactly(tmp_path):
    train_steps = get_function("train_steps", TRAIN_SIG)
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    load_checkpoint = get_function("load_checkpoint", LOAD_SIG)
    data = make_data()
    model = make_model(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.manual_seed(7)
    before = train_steps(model, opt, data, 10)
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, model, opt, 10)
    expected = train_steps(model, opt, data, 5, start_step=10)   # the uninterrupted run

    model2 = make_model(2)                                        # different weights, RNG reseeded
    opt2 = torch.optim.Adam(model2.parameters(), lr=1e-2)
    step = load_checkpoint(path, model2, opt2)
    assert step == 10, f"load_checkpoint should return the saved step 10, got {step!r}."
    got = train_steps(model2, opt2, data, 5, start_step=step)
    artifacts().line("training loss (first 10 steps, then the 5 resumed ones)", before + got,
                     x_label="step", y_label="loss")
    assert got == expected, (
        f"after resuming, the losses were {[round(v, 6) for v in got]} but the uninterrupted run gave "
        f"{[round(v, 6) for v in expected]}; "
        + diagnose(got, expected))


def test_load_restores_the_weights_and_returns_the_step(tmp_path):
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    load_checkpoint = get_function("load_checkpoint", LOAD_SIG)
    model = make_model(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    save_checkpoint(tmp_path / "a.pt", model, opt, 42)
    other = make_model(3)
    step = load_checkpoint(tmp_path / "a.pt", other, torch.optim.SGD(other.parameters(), lr=0.1))
    assert isinstance(step, int) and step == 42, f"load_checkpoint should return the int 42, got {step!r}."
    for (name, p), q in zip(model.state_dict().items(), other.state_dict().values()):
        assert_tensor_close(q, p, atol=0, rtol=0, name=f"loaded parameter {name}")


def test_checkpoint_is_a_single_file_at_the_given_path(tmp_path):
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    model = make_model(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    path = tmp_path / "model.ckpt"
    save_checkpoint(path, model, opt, 3)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["model.ckpt"], (
        f"after save_checkpoint the folder should hold exactly the file 'model.ckpt', but it holds {names}. "
        "Save everything in one file, and rename (os.replace) or delete any temporary file.")
