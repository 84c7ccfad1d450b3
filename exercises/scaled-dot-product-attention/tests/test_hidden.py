"""Hidden tests for scaled dot-product attention: masks, heads, scaling, gradients (run on *Submit*)."""
import math

import torch
import torch.nn.functional as F

from course_harness import assert_tensor_close, get_function

SIGNATURE = ("scaled_dot_product_attention(q, k, v, causal: bool = False, mask: torch.Tensor | None = None)"
             " -> tuple[torch.Tensor, torch.Tensor]")


def attend(q, k, v, **kwargs):
    """Call the learner's function and check that it returns (output, weights)."""
    fn = get_function("scaled_dot_product_attention", SIGNATURE)
    try:
        result = fn(q, k, v, **kwargs)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        args = ", ".join([f"q {tuple(q.shape)}", f"k {tuple(k.shape)}", f"v {tuple(v.shape)}"]
                         + [f"{key}={tuple(val.shape) if isinstance(val, torch.Tensor) else val}"
                            for key, val in kwargs.items()])
        raise AssertionError(f"scaled_dot_product_attention({args}) raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError("scaled_dot_product_attention must return a pair (output, weights), "
                             f"but it returned {type(result).__name__}.")
    return result


def explicit_weights(q, k, allowed=None):
    """Reference weights: softmax(q kᵀ / sqrt(d_k)) with disallowed pairs set to -inf."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1)


def test_causal_weights_are_zero_above_the_diagonal():
    T = 6
    q, k, v = torch.randn(2, T, 8), torch.randn(2, T, 8), torch.randn(2, T, 5)
    out, weights = attend(q, k, v, causal=True)
    future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)  # (T, T): True where j > i
    if isinstance(weights, torch.Tensor) and weights.shape == (2, T, T):
        leaked = weights.detach()[:, future].abs().max().item()
        if leaked != 0.0:
            raise AssertionError(f"with causal=True, query i must not attend to later keys j > i, but a weight "
                                 f"above the diagonal is {leaked:.4g}. Set those scores to -inf before the softmax.")
    allowed = torch.ones(T, T, dtype=torch.bool).tril()
    assert_tensor_close(weights, explicit_weights(q, k, allowed), atol=1e-6, name="the causal weight matrix")
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-5,
                        name="causal output")


def test_batched_multi_head_input_with_a_padding_mask():
    B, H, T, d = 2, 3, 5, 8
    q, k, v = torch.randn(B, H, T, d), torch.randn(B, H, T, d), torch.randn(B, H, T, 4)
    lengths = torch.tensor([3, 5])  # sequence 0 has 2 padded positions at the end
    keep = torch.arange(T)[None, :] < lengths[:, None]  # (B, T_k)
    mask = keep[:, None, None, :]                       # (B, 1, 1, T_k): same for every head and query
    out, weights = attend(q, k, v, mask=mask)
    assert_tensor_close(weights, explicit_weights(q, k, mask), atol=1e-6,
                        name="the weight matrix for (B, H, T, d) = (2, 3, 5, 8) input with a (B, 1, 1, T_k) padding mask")
    assert bool((weights.detach()[0, :, :, 3:] == 0).all()), "padded keys (mask False) must get weight exactly 0."
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5,
                        name="output for multi-head input with a padding mask")


def test_mask_and_causal_together_allow_only_pairs_both_allow():
    T = 6
    q, k, v = torch.randn(2, 2, T, 8), torch.randn(2, 2, T, 8), torch.randn(2, 2, T, 3)
    mask = torch.rand(T, T) > 0.4
    mask.fill_diagonal_(True)  # every query keeps at least itself
    both = mask & torch.ones(T, T, dtype=torch.bool).tril()
    out, weights = attend(q, k, v, causal=True, mask=mask)
    assert_tensor_close(weights, explicit_weights(q, k, both), atol=1e-6,
                        name="the weight matrix with causal=True and a mask (allowed = causal AND mask)")
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=both), atol=1e-5,
                        name="output with causal=True and a mask")


def test_rows_of_weights_sum_to_one_for_cross_attention():
    q, k, v = torch.randn(3, 4, 8) * 5, torch.randn(3, 9, 8) * 5, torch.randn(3, 9, 2)  # T_q = 4, T_k = 9
    mask = torch.rand(3, 4, 9) > 0.5
    mask[..., 0] = True
    out, weights = attend(q, k, v, mask=mask)
    assert_tensor_close(weights.sum(dim=-1), torch.ones(3, 4), atol=1e-5,
                        name="the vector of row sums of the weights (T_q = 4 queries over T_k = 9 keys)")
    assert bool((weights.detach() >= 0).all()), "attention weights must not be negative."
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5,
                        name="output for cross-attention with a (B, T_q, T_k) mask")


def test_scores_are_divided_by_sqrt_d_k():
    d_k = 64  # large head size: without the scale the softmax is far too sharp
    q, k, v = torch.randn(1, 5, d_k), torch.randn(1, 5, d_k), torch.randn(1, 5, 3)
    _, weights = attend(q, k, v)
    unscaled = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
    if isinstance(weights, torch.Tensor) and weights.shape == unscaled.shape and \
            torch.allclose(weights.detach(), unscaled, atol=1e-5):
        raise AssertionError(f"the weights equal softmax(q kᵀ) without scaling: divide the scores by sqrt(d_k) "
                             f"(here sqrt({d_k}) = 8) before the softmax.")
    assert_tensor_close(weights, explicit_weights(q, k), atol=1e-6, name=f"the weight matrix for d_k = {d_k}")


def test_gradients_flow_to_q_k_and_v_in_float64():
    q, k, v = (torch.randn(2, 2, 5, 4, dtype=torch.float64).requires_grad_(True) for _ in range(3))
    out, weights = attend(q, k, v, causal=True)
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-10, rtol=1e-8,
                        name="output for float64 input (dtype should be kept)")
    if out.grad_fn is None:
        raise AssertionError("the output is not connected to q, k and v in autograd: avoid .detach(), .item(), "
                             ".numpy() and tensors rebuilt from Python numbers.")
    g = torch.randn_like(out)  # upstream gradient
    mine = torch.autograd.grad(out, (q, k, v), g, allow_unused=True)
    expected = torch.autograd.grad(F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v), g)
    for name, a, e in zip("qkv", mine, expected):
        if a is None:
            raise AssertionError(f"no gradient reaches {name}: the output must be computed from {name}.")
        assert_tensor_close(a, e, atol=1e-10, rtol=1e-8, name=f"the gradient with respect to {name}")


def test_large_scores_and_masks_stay_exact():
    # Scores in the hundreds: exp(score) overflows float32 unless the row maximum is subtracted first.
    B, T, d = 2, 6, 8
    q, k, v = torch.randn(B, T, d) * 12, torch.randn(B, T, d) * 12, torch.randn(B, T, 3)
    keep = torch.ones(B, 1, T, dtype=torch.bool)
    keep[1, :, 4:] = False  # two padded keys in sequence 1
    allowed = keep & torch.ones(T, T, dtype=torch.bool).tril()
    out, weights = attend(q, k, v, causal=True, mask=keep)
    assert_tensor_close(weights, explicit_weights(q, k, allowed), atol=1e-5,
                        name="the weight matrix for scores around ±300 (causal and a padding mask)")
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=allowed), atol=1e-4, rtol=1e-4,
                        name="output for scores around ±300")

    # Query 0 may only see key 0, whose score is -20000: it must still get all of query 0's attention.
    # A finite fill value for the masked scores (like -1e4) is larger than that and steals the weight.
    d = 4
    q, k, v = torch.randn(1, 4, d), torch.randn(1, 4, d), torch.randn(1, 4, 3)
    q[0, 0], k[0, 0] = torch.full((d,), 100.0), torch.full((d,), -100.0)  # score (q0 · k0) / sqrt(4) = -20000
    out, weights = attend(q, k, v, causal=True)
    assert_tensor_close(weights[0, 0], torch.tensor([1.0, 0.0, 0.0, 0.0]), atol=1e-6,
                        name="the weights of query 0 when its only allowed key has score -20000 (masked scores "
                             "must be -inf, not a large negative number)")
    assert_tensor_close(out[0, 0], v[0, 0], atol=1e-5, name="the output of query 0 (it can only see value 0)")
