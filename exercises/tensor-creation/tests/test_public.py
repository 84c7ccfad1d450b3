"""Public tests for the tensor creation exercise: run by *Run* and shown to the learner."""
import pytest
import torch
import torch.nn.functional as F

from course_harness import assert_tensor_close, forbidden_uses, get_function

SIGNATURES = {
    "make_grid": "make_grid(h: int, w: int) -> torch.Tensor",
    "identity_like": "identity_like(x: torch.Tensor) -> torch.Tensor",
    "one_hot": "one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor",
    "normalise_columns": "normalise_columns(x: torch.Tensor) -> torch.Tensor",
    "to_float64_on_same_device": "to_float64_on_same_device(x: torch.Tensor) -> torch.Tensor",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def test_make_grid_counts_row_by_row():
    make_grid = fn("make_grid")
    for h, w in ((2, 3), (3, 4), (1, 5)):
        expected = torch.tensor([[r * w + c for c in range(w)] for r in range(h)], dtype=torch.int64)
        assert_tensor_close(make_grid(h, w), expected, atol=0, rtol=0, name=f"make_grid({h}, {w})")


def test_identity_like_matches_torch_eye():
    identity_like = fn("identity_like")
    square = torch.randn(4, 4)
    assert_tensor_close(identity_like(square), torch.eye(4), atol=0, rtol=0,
                        name="identity_like(x) for a float32 x of shape (4, 4)")
    wide = torch.randn(2, 3, dtype=torch.float64)
    assert_tensor_close(identity_like(wide), torch.eye(2, 3, dtype=torch.float64), atol=0, rtol=0,
                        name="identity_like(x) for a float64 x of shape (2, 3)")


def test_does_not_use_f_one_hot(monkeypatch):
    one_hot = fn("one_hot")
    found = [(line, what) for line, what in forbidden_uses({"one_hot"}) if what.startswith((".", "import"))]
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in found)
        pytest.fail("Build the one-hot matrix yourself (torch.zeros plus indexing, or a comparison with "
                    f"torch.arange); F.one_hot / torch.nn.functional.one_hot is not allowed here. Found: {where}.")
    calls = []

    def spy(*args, **kwargs):
        calls.append(1)
        raise AssertionError("Your one_hot called torch.nn.functional.one_hot, which this exercise does not allow.")

    monkeypatch.setattr(F, "one_hot", spy)
    try:
        one_hot(torch.tensor([1, 0, 2]), 3)
    except Exception:  # noqa: BLE001 - wrong results are the other tests' business; this one checks the rule
        pass
    assert not calls, ("Your one_hot called torch.nn.functional.one_hot, which this exercise does not allow: build "
                       "the matrix yourself (torch.zeros plus indexing, or a comparison with torch.arange).")


def test_one_hot_puts_a_single_one_in_each_row(monkeypatch):
    one_hot = fn("one_hot")
    labels = torch.tensor([2, 0, 1, 2, 4])
    expected = F.one_hot(labels, 5).to(torch.float32)  # computed before the built-in is switched off

    def forbidden(*args, **kwargs):
        raise AssertionError("Your one_hot called torch.nn.functional.one_hot, which this exercise does not allow.")

    monkeypatch.setattr(F, "one_hot", forbidden)
    assert_tensor_close(one_hot(labels, 5), expected, atol=0, rtol=0,
                        name="one_hot(tensor([2, 0, 1, 2, 4]), 5)")


def test_normalise_columns_gives_zero_mean_and_unit_std():
    normalise_columns = fn("normalise_columns")
    x = torch.randn(50, 4) * torch.tensor([1.0, 10.0, 0.1, 3.0]) + torch.tensor([5.0, -2.0, 0.0, 100.0])
    out = normalise_columns(x)
    expected = (x - x.mean(dim=0)) / x.std(dim=0, unbiased=False)
    assert_tensor_close(out, expected, atol=1e-5, name="normalise_columns(x) for x of shape (50, 4)")
    assert_tensor_close(out.mean(dim=0), torch.zeros(4), atol=1e-5, name="the column means of your result")
    assert_tensor_close(out.std(dim=0, unbiased=False), torch.ones(4), atol=1e-5,
                        name="the column stds (unbiased=False) of your result")


def test_to_float64_keeps_the_values():
    convert = fn("to_float64_on_same_device")
    ints = torch.tensor([[1, -2], [3, 40]])
    assert_tensor_close(convert(ints), torch.tensor([[1.0, -2.0], [3.0, 40.0]], dtype=torch.float64),
                        atol=0, rtol=0, name="to_float64_on_same_device of an int64 tensor")
    floats = torch.randn(3, 5)
    assert_tensor_close(convert(floats), floats.double(), atol=0, rtol=0,
                        name="to_float64_on_same_device of a float32 tensor")
