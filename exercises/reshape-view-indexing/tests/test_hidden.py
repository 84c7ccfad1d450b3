"""Hidden tests for reshaping, views and indexing: edge cases, run only on *Submit*."""
import pytest
import torch

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "split_heads": "split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor",
    "merge_heads": "merge_heads(x: torch.Tensor) -> torch.Tensor",
    "select_rows": "select_rows(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor",
    "masked_mean": "masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor",
    "last_valid": "last_valid(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def heads_by_slicing(x, n_heads):
    hs = x.shape[-1] // n_heads
    return torch.stack([x[:, :, h * hs:(h + 1) * hs] for h in range(n_heads)], dim=1)  # (B, nh, T, hs)


def heads_by_slicing_inverse(heads):
    return torch.cat([heads[:, h] for h in range(heads.shape[1])], dim=-1)  # (B, T, nh * hs)


def test_heads_round_trip_for_every_head_count_and_keep_float64():
    split_heads, merge_heads = fn("split_heads"), fn("merge_heads")
    x = torch.randn(3, 4, 12, dtype=torch.float64)
    for n_heads in (1, 2, 3, 6, 12):
        heads = split_heads(x, n_heads)
        assert_tensor_close(heads, heads_by_slicing(x, n_heads), atol=0, rtol=0,
                            name=f"split_heads(x, {n_heads}) for a float64 x of shape (3, 4, 12)")
        assert_tensor_close(merge_heads(heads), x, atol=0, rtol=0, name=f"merge_heads(split_heads(x, {n_heads}))")


def test_functions_accept_non_contiguous_inputs():
    x = torch.randn(5, 2, 8).permute(1, 0, 2)  # (B=2, T=5, C=8), not contiguous
    assert not x.is_contiguous()
    assert_tensor_close(fn("split_heads")(x, 4), heads_by_slicing(x, 4), atol=0, rtol=0,
                        name="split_heads(x, 4) for a non-contiguous x (made with permute)")
    heads = torch.randn(2, 5, 4, 3).permute(0, 2, 1, 3)  # (B, nh=4, T=5, hs=3), not contiguous
    assert_tensor_close(fn("merge_heads")(heads), heads_by_slicing_inverse(heads), atol=0, rtol=0,
                        name="merge_heads(heads) for non-contiguous heads (made with permute)")
    table = torch.randn(4, 6).t()  # (6, 4), not contiguous
    idx = torch.tensor([5, 1])
    assert_tensor_close(fn("select_rows")(table, idx), torch.index_select(table, 0, idx), atol=0, rtol=0,
                        name="select_rows of a transposed (non-contiguous) x")
    seqs = torch.randn(6, 3, 2).transpose(0, 1)  # (B=3, T=6, D=2), not contiguous
    lengths = torch.tensor([6, 2, 1])
    expected = torch.stack([seqs[b, lengths[b] - 1] for b in range(3)])
    assert_tensor_close(fn("last_valid")(seqs, lengths), expected, atol=0, rtol=0,
                        name="last_valid of a non-contiguous x")


@pytest.mark.parametrize("C,n_heads", [(10, 3), (12, 5)])
def test_split_heads_rejects_channels_not_divisible_by_heads(C, n_heads):
    split_heads = fn("split_heads")
    try:
        split_heads(torch.randn(2, 3, C), n_heads)
    except ValueError as exc:
        message = str(exc)
        assert str(C) in message and str(n_heads) in message, (
            f"the ValueError message should name C={C} and n_heads={n_heads}; it was: {message!r}")
    except Exception as exc:
        raise AssertionError(f"split_heads(x, {n_heads}) for C={C} should raise ValueError, but it raised "
                             f"{type(exc).__name__}: {exc}. Check C % n_heads yourself before reshaping.") from None
    else:
        raise AssertionError(f"split_heads(x, {n_heads}) for C={C} should raise ValueError, "
                             f"because {C} channels cannot be split into {n_heads} equal heads.")


def test_masked_mean_ignores_nan_padding_and_gives_zero_for_empty_rows():
    masked_mean = fn("masked_mean")
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([[1.0, 3.0, nan, nan],
                      [nan, inf, -inf, nan],
                      [2.0, 4.0, 6.0, 8.0]])
    mask = torch.tensor([[True, True, False, False],
                         [False, False, False, False],
                         [True, False, True, True]])
    assert_tensor_close(masked_mean(x, mask), torch.tensor([2.0, 0.0, 16.0 / 3.0]), atol=1e-6,
                        name="masked_mean of rows whose padding holds NaN/inf (row 1 has no valid entry)")


def test_gradients_flow_back_to_x():
    x = torch.randn(2, 3, 6, dtype=torch.float64, requires_grad=True)  # (B, T, C), 3 heads of size 2
    w = torch.randn(2, 3, 3, 2, dtype=torch.float64)                      # (B, nh, T, hs) weights
    out = fn("split_heads")(x, 3)
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        raise AssertionError("split_heads(x) is not connected to x in autograd; build it from x with reshape and "
                             "transpose (no .detach(), .numpy() or torch.tensor(...)).")
    (grad,) = torch.autograd.grad((out * w).sum(), x)
    assert_tensor_close(grad, heads_by_slicing_inverse(w), atol=1e-12,
                        name="the gradient of (split_heads(x, 3) * w).sum() w.r.t. x")

    heads = torch.randn(2, 3, 4, 2, dtype=torch.float64, requires_grad=True)  # (B, nh, T, hs)
    v = torch.randn(2, 4, 6, dtype=torch.float64)                             # (B, T, C) weights
    (grad,) = torch.autograd.grad((fn("merge_heads")(heads) * v).sum(), heads)
    assert_tensor_close(grad, heads_by_slicing(v, 3), atol=1e-12,
                        name="the gradient of (merge_heads(heads) * v).sum() w.r.t. heads")

    table = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(fn("select_rows")(table, torch.tensor([1, 3, 1, 1])).sum(), table)
    expected = torch.tensor([0.0, 3.0, 0.0, 1.0, 0.0], dtype=torch.float64)[:, None].expand(5, 2)
    assert_tensor_close(grad, expected, atol=1e-12,
                        name="the gradient of select_rows(x, [1, 3, 1, 1]).sum() (row 1 is picked 3 times)")

    nan = float("nan")
    scores = torch.tensor([[1.0, 2.0, nan], [4.0, nan, nan]], dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    (grad,) = torch.autograd.grad(fn("masked_mean")(scores, mask).sum(), scores)
    expected = torch.tensor([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    assert_tensor_close(grad, expected, atol=1e-12,
                        name="the gradient of masked_mean(x, mask).sum() w.r.t. x (padding holds NaN)")

    seqs = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(fn("last_valid")(seqs, torch.tensor([2, 4])).sum(), seqs)
    expected = torch.zeros(2, 4, 3, dtype=torch.float64)
    expected[0, 1], expected[1, 3] = 1.0, 1.0
    assert_tensor_close(grad, expected, atol=1e-12, name="the gradient of last_valid(x, [2, 4]).sum() w.r.t. x")
