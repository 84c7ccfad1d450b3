"""Hidden tests for the tensor creation exercise: edge cases, run only on *Submit*."""
import pytest
import torch

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "make_grid": "make_grid(h: int, w: int) -> torch.Tensor",
    "identity_like": "identity_like(x: torch.Tensor) -> torch.Tensor",
    "one_hot": "one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor",
    "normalise_columns": "normalise_columns(x: torch.Tensor) -> torch.Tensor",
    "to_float64_on_same_device": "to_float64_on_same_device(x: torch.Tensor) -> torch.Tensor",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def check_device(result, expected_device, what):
    if not isinstance(result, torch.Tensor):
        raise AssertionError(f"{what} should return a torch.Tensor, got {type(result).__name__}.")
    assert result.device == expected_device, (
        f"{what} returned a tensor on device {result.device}, expected {expected_device}: pass "
        "device=x.device to factory functions, or convert with .to(...) which stays on the same device.")


def test_make_grid_with_zero_rows_or_columns_is_empty():
    make_grid = fn("make_grid")
    for h, w in ((0, 3), (4, 0), (0, 0)):
        assert_tensor_close(make_grid(h, w), torch.zeros(h, w, dtype=torch.int64), atol=0, rtol=0,
                            name=f"make_grid({h}, {w})")
    assert_tensor_close(make_grid(1, 1), torch.tensor([[0]]), atol=0, rtol=0, name="make_grid(1, 1)")


def test_identity_like_keeps_dtype_and_device():
    identity_like = fn("identity_like")
    for dtype in (torch.int32, torch.int64, torch.float64, torch.bool):
        x = torch.ones(3, 2, dtype=dtype) * 7 if dtype != torch.bool else torch.zeros(3, 2, dtype=torch.bool)
        assert_tensor_close(identity_like(x), torch.eye(3, 2, dtype=dtype), atol=0, rtol=0,
                            name=f"identity_like(x) for x of dtype {dtype} and shape (3, 2)")
    assert_tensor_close(identity_like(torch.empty(0, 0)), torch.eye(0), atol=0, rtol=0,
                        name="identity_like of a (0, 0) tensor")
    # The "meta" device holds shapes and dtypes but no data: it stands in for a GPU here.
    meta = torch.empty(5, 5, dtype=torch.float16, device="meta")
    out = identity_like(meta)
    check_device(out, meta.device, "identity_like(x) for x on the 'meta' device")
    assert out.dtype == torch.float16 and tuple(out.shape) == (5, 5), (
        f"identity_like of a (5, 5) float16 tensor gave shape {tuple(out.shape)} and dtype {out.dtype}.")


def test_one_hot_of_no_labels_is_an_empty_float_matrix():
    one_hot = fn("one_hot")
    labels = torch.tensor([], dtype=torch.int64)
    assert_tensor_close(one_hot(labels, 4), torch.zeros(0, 4), atol=0, rtol=0,
                        name="one_hot(empty labels, 4)")
    assert_tensor_close(one_hot(torch.tensor([3]), 4), torch.tensor([[0.0, 0.0, 0.0, 1.0]]), atol=0, rtol=0,
                        name="one_hot(tensor([3]), 4)")


@pytest.mark.parametrize("labels", [[0, 1, -1], [0, 3, 1]], ids=["negative-label", "label-equal-to-num-classes"])
def test_one_hot_rejects_labels_out_of_range_with_a_message(labels):
    one_hot = fn("one_hot")
    try:
        one_hot(torch.tensor(labels), 3)
    except ValueError as exc:
        assert str(exc).strip(), "raise ValueError with a message that says which labels are allowed (0..C-1)."
    except Exception as exc:
        raise AssertionError(f"one_hot(tensor({labels}), num_classes=3) should raise ValueError (labels must be in "
                             f"0..2), but it raised {type(exc).__name__}: {exc}. Check the range yourself before "
                             "indexing.") from None
    else:
        raise AssertionError(f"one_hot(tensor({labels}), num_classes=3) should raise ValueError: labels must be "
                             "in 0..2. (Indexing with -1 silently picks the last column, so check the range "
                             "yourself.)")


def test_normalise_columns_keeps_float64_and_maps_constant_columns_to_zero():
    normalise_columns = fn("normalise_columns")
    x = torch.randn(20, 3, dtype=torch.float64)
    x[:, 1] = 2.5  # a constant column: std 0
    out = normalise_columns(x)
    expected = (x - x.mean(dim=0)) / x.std(dim=0, unbiased=False)
    expected[:, 1] = 0.0
    assert_tensor_close(out, expected, atol=1e-12, rtol=1e-10,
                        name="normalise_columns of a float64 (20, 3) tensor whose column 1 is constant")


def test_to_float64_stays_on_the_same_device():
    convert = fn("to_float64_on_same_device")
    meta = torch.empty(4, 2, dtype=torch.int32, device="meta")
    out = convert(meta)
    check_device(out, meta.device, "to_float64_on_same_device(x) for x on the 'meta' device")
    assert out.dtype == torch.float64 and tuple(out.shape) == (4, 2), (
        f"expected a float64 tensor of shape (4, 2), got dtype {out.dtype} and shape {tuple(out.shape)}.")
    flags = torch.tensor([True, False, True])
    assert_tensor_close(convert(flags), torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64), atol=0, rtol=0,
                        name="to_float64_on_same_device of a bool tensor")


def test_normalise_columns_handles_large_offsets():
    normalise_columns = fn("normalise_columns")
    g = torch.Generator().manual_seed(0)
    base = torch.randn(64, 3, generator=g, dtype=torch.float64)
    x = (base + torch.tensor([1e4, -3e4, 5e3], dtype=torch.float64)).float()  # float32 columns far from 0
    x64 = x.double()
    expected = ((x64 - x64.mean(dim=0)) / x64.std(dim=0, unbiased=False)).float()
    assert_tensor_close(normalise_columns(x), expected, atol=1e-3, rtol=1e-3,
                        name="normalise_columns of float32 columns with offsets around 1e4 (std about 1): subtract "
                             "the mean first, then take the std; E[x²] - E[x]² cancels catastrophically here")
