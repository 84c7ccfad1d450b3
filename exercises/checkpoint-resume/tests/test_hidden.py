"""Hidden tests for checkpointing and resuming: edge cases, run only on *Submit*."""
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

TRAIN_SIG = "train_steps(model, optimizer, data, steps, start_step=0) -> list[float]"
SAVE_SIG = "save_checkpoint(path, model, optimizer, step, rng_state=True) -> None"
LOAD_SIG = "load_checkpoint(path, model, optimizer) -> int"


def make_data(n_batches=3, batch=12, seed=1):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(6, 3, generator=g)
    data = []
    for _ in range(n_batches):
        x = torch.randn(batch, 6, generator=g)
        data.append((x, (x @ w).argmax(dim=1)))
    return data


def make_model(seed, p=0.5):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(p), nn.Linear(16, 3))


class Unpicklable(nn.Module):
    """A module whose state_dict carries an object pickle cannot store: torch.save fails midway."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lin = nn.Linear(6, 3)

    def forward(self, x):
        return self.lin(x)

    def get_extra_state(self):
        return lambda: None   # "Can't pickle local object"

    def set_extra_state(self, state):
        pass


def test_failed_save_keeps_the_previous_checkpoint_and_leaves_no_partial_file(tmp_path):
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    load_checkpoint = get_function("load_checkpoint", LOAD_SIG)
    good = make_model(1)
    opt = torch.optim.SGD(good.parameters(), lr=0.1)
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, good, opt, 7)
    bad = Unpicklable()
    try:
        save_checkpoint(path, bad, torch.optim.SGD(bad.parameters(), lr=0.1), 8)
    except Exception:
        pass
    else:
        raise AssertionError("saving a model whose state cannot be pickled should raise an error; "
                             "save_checkpoint must not hide the failure (let the exception propagate).")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ckpt.pt"], (
        f"after a failed save the folder holds {names}; it should hold only the previous 'ckpt.pt'. "
        "Delete the temporary file when torch.save fails.")
    other = make_model(2)
    try:
        step = load_checkpoint(path, other, torch.optim.SGD(other.parameters(), lr=0.1))
    except Exception as exc:
        raise AssertionError(
            "the previous checkpoint could not be loaded after a failed save: torch.save wrote over it "
            f"before failing ({type(exc).__name__}: {exc!s:.120}). Write to a temporary file in the same "
            "folder and os.replace it over the target only once the write has succeeded.") from None
    assert step == 7, f"the surviving checkpoint should still hold step 7, got {step!r}."
    assert_tensor_close(other[0].weight, good[0].weight, atol=0, rtol=0,
                        name="weights loaded from the checkpoint that survived the failed save")


def test_save_accepts_a_str_path_and_overwrites_an_older_checkpoint(tmp_path):
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    load_checkpoint = get_function("load_checkpoint", LOAD_SIG)
    model = make_model(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    path = str(tmp_path / "ckpt.pt")
    save_checkpoint(path, model, opt, 1)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    save_checkpoint(path, model, opt, 2)
    other = make_model(5)
    step = load_checkpoint(path, other, torch.optim.Adam(other.parameters(), lr=1e-2))
    assert step == 2, f"the second save (step 2) should replace the first, but load_checkpoint returned {step!r}."
    assert_tensor_close(other[0].weight, model[0].weight, atol=0, rtol=0,
                        name="weights after overwriting a checkpoint given as a str path")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"], \
        "saving twice to the same path should leave a single file."


def test_optimizer_state_is_restored(tmp_path):
    train_steps = get_function("train_steps", TRAIN_SIG)
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    load_checkpoint = get_function("load_checkpoint", LOAD_SIG)
    data = make_data()
    model = make_model(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.8, 0.95))
    train_steps(model, opt, data, 4)
    save_checkpoint(tmp_path / "c.pt", model, opt, 4)
    other = make_model(2)
    opt2 = torch.optim.Adam(other.parameters(), lr=1e-2, betas=(0.8, 0.95))
    load_checkpoint(tmp_path / "c.pt", other, opt2)
    assert len(opt2.state) == len(opt.state), (
        f"the loaded optimizer holds state for {len(opt2.state)} parameters, expected {len(opt.state)}: "
        "save optimizer.state_dict() and restore it with optimizer.load_state_dict().")
    for i, (p, q) in enumerate(zip(model.parameters(), other.parameters())):
        assert_tensor_close(opt2.state[q]["exp_avg"], opt.state[p]["exp_avg"], atol=0, rtol=0,
                            name=f"Adam's exp_avg of parameter {i} after loading")
        assert_tensor_close(opt2.state[q]["exp_avg_sq"], opt.state[p]["exp_avg_sq"], atol=0, rtol=0,
                            name=f"Adam's exp_avg_sq of parameter {i} after loading")


def test_rng_state_false_leaves_the_generator_alone_on_load(tmp_path):
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    load_checkpoint = get_function("load_checkpoint", LOAD_SIG)
    model = make_model(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(11)
    save_checkpoint(tmp_path / "c.pt", model, opt, 3, rng_state=False)
    torch.manual_seed(99)
    before = torch.get_rng_state()
    load_checkpoint(tmp_path / "c.pt", model, opt)
    assert torch.equal(torch.get_rng_state(), before), (
        "a checkpoint saved with rng_state=False changed the random number generator when loaded; "
        "only restore the RNG state when the file holds one.")
    # ...and with rng_state=True the generator comes back to where it was at save time.
    torch.manual_seed(11)
    saved = torch.get_rng_state()
    save_checkpoint(tmp_path / "d.pt", model, opt, 3)
    torch.rand(10)
    load_checkpoint(tmp_path / "d.pt", model, opt)
    assert torch.equal(torch.get_rng_state(), saved), \
        "after loading a checkpoint saved with rng_state=True, torch.get_rng_state() should equal its state at save time."


def test_resuming_twice_from_odd_steps_matches_one_long_run(tmp_path):
    train_steps = get_function("train_steps", TRAIN_SIG)
    save_checkpoint = get_function("save_checkpoint", SAVE_SIG)
    load_checkpoint = get_function("load_checkpoint", LOAD_SIG)
    data = make_data()  # 3 batches: resuming at step 4 continues with batch 1
    model = make_model(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    torch.manual_seed(3)
    long_run = train_steps(model, opt, data, 11)

    model = make_model(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    torch.manual_seed(3)
    pieces = train_steps(model, opt, data, 4)
    save_checkpoint(tmp_path / "c.pt", model, opt, 4)
    for segment, seed in ((4, 8), (3, 9)):
        model = make_model(seed)
        opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        step = load_checkpoint(tmp_path / "c.pt", model, opt)
        pieces += train_steps(model, opt, data, segment, start_step=step)
        save_checkpoint(tmp_path / "c.pt", model, opt, step + segment)
    assert pieces == long_run, (
        f"11 steps run as 4 + 4 + 3 with two resumes gave {[round(v, 5) for v in pieces]}, but one run gave "
        f"{[round(v, 5) for v in long_run]}. SGD with momentum keeps a momentum buffer in the optimizer "
        "state; the batch of step s is data[s % len(data)].")


def test_train_steps_switches_the_model_to_training_mode():
    train_steps = get_function("train_steps", TRAIN_SIG)
    data = make_data()
    model, ref = make_model(4), make_model(4)
    model.eval()   # as after a validation pass: train_steps must switch dropout back on
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    torch.manual_seed(21)
    got = train_steps(model, opt, data, 3)
    torch.manual_seed(21)
    ref.train()
    expected = []
    for s in range(3):
        x, y = data[s % len(data)]
        ref_opt.zero_grad()
        loss = F.cross_entropy(ref(x), y)
        loss.backward()
        ref_opt.step()
        expected.append(loss.item())
    assert got == expected, (
        f"train_steps on a model left in eval mode gave losses {[round(v, 5) for v in got]}, expected "
        f"{[round(v, 5) for v in expected]} (with dropout on). Call model.train() at the start of train_steps: "
        "the model may come straight from an evaluation with model.eval().")
