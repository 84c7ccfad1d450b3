"""Hidden tests for the stable softmax exercise: edge cases, run only on *Submit*."""
import torch

from course_harness import assert_tensor_close, get_function

SIGNATURE = "softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor"


def _softmax():
    return get_function("softmax", SIGNATURE)


def test_huge_positive_and_negative_scores_give_no_nan():
    softmax = _softmax()
    x = torch.tensor([
        [1000.0, -1000.0, 0.0],          # exp(1000) overflows
        [-1000.0, -1001.0, -1002.0],     # every exp underflows to 0: naive 0 / 0
        [3.0e38, 3.0e38, -3.0e38],       # near the float32 limit
    ])
    assert_tensor_close(softmax(x, dim=-1), torch.softmax(x, dim=-1), atol=1e-6,
                        name="softmax of rows with scores like ±1000")


def test_minus_inf_entries_get_probability_exactly_zero():
    softmax = _softmax()
    inf = float("inf")
    x = torch.tensor([[0.5, -inf, 2.0, -inf], [-inf, -inf, -inf, 7.0], [1000.0, -inf, 999.0, 0.0]])
    p = softmax(x, dim=-1)
    assert_tensor_close(p, torch.softmax(x, dim=-1), atol=1e-6, name="softmax of rows with -inf (masked) entries")
    assert bool((p[torch.isinf(x)] == 0).all()), "entries that were -inf must get probability exactly 0."


def test_float64_input_stays_float64():
    softmax = _softmax()
    x = torch.randn(3, 5, dtype=torch.float64) * 400  # exp(710) overflows even float64
    p = softmax(x, dim=-1)
    assert_tensor_close(p, torch.softmax(x, dim=-1), atol=1e-12, rtol=1e-10,
                        name="softmax of a float64 input (dtype and precision should be kept)")


def test_dim_zero_normalises_columns():
    softmax = _softmax()
    x = torch.randn(6, 4) * 50  # normalise down each of the 4 columns
    p = softmax(x, dim=0)
    assert_tensor_close(p, torch.softmax(x, dim=0), atol=1e-6, name="softmax(x, dim=0) for x of shape (6, 4)")
    assert_tensor_close(p.sum(dim=0), torch.ones(4), atol=1e-5, name="the vector of column sums of softmax(x, dim=0)")


def test_three_dimensional_input_works_along_every_dim():
    softmax = _softmax()
    x = torch.randn(2, 3, 5) * 80  # (B, T, C)
    for dim in (0, 1, 2, -1, -2):
        assert_tensor_close(softmax(x, dim=dim), torch.softmax(x, dim=dim), atol=1e-6,
                            name=f"softmax(x, dim={dim}) for x of shape (2, 3, 5)")


def test_gradient_matches_torch_softmax():
    softmax = _softmax()
    x = (torch.randn(4, 6, dtype=torch.float64) * 30).requires_grad_(True)
    w = torch.randn(4, 6, dtype=torch.float64)  # weights for a scalar loss
    out = softmax(x, dim=-1)
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        raise AssertionError("softmax(x) is not connected to x in autograd: build it from torch operations on x "
                             "(no .detach(), .item(), .numpy() or new tensors made from Python numbers).")
    (mine,) = torch.autograd.grad((out * w).sum(), x)
    (expected,) = torch.autograd.grad((torch.softmax(x, dim=-1) * w).sum(), x)
    assert_tensor_close(mine, expected, atol=1e-10, rtol=1e-8, name="the gradient of sum(softmax(x) * w) w.r.t. x")
