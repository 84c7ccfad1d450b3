"""Hidden tests for multi-head attention: cross-attention, no bias, both masks, gradients (run on *Submit*)."""
import pytest
import torch
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURE = "class MultiHeadAttention(nn.Module) with __init__(self, embed_dim: int, num_heads: int, bias: bool = True)"


def pair(embed_dim, num_heads, bias=True, dtype=torch.float32):
    torch_mha = nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True, dtype=dtype)
    with torch.no_grad():
        for p in torch_mha.parameters():
            if p.dim() == 1:
                p.normal_(0, 0.2)
    cls = get_function("MultiHeadAttention", SIGNATURE)
    mine = cls(embed_dim, num_heads, bias=bias).to(dtype)
    if not callable(getattr(mine, "load_from_torch", None)):
        raise AssertionError("MultiHeadAttention needs a method `load_from_torch(self, mha)`.")
    mine.load_from_torch(torch_mha)
    return torch_mha, mine


def reference(torch_mha, query, key, value, **masks):
    return torch_mha(query, key, value, need_weights=True, average_attn_weights=True, **masks)


def run(mine, query, key, value, **masks):
    try:
        result = mine(query, key, value, **masks)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
        extra = ", ".join(f"{k} {tuple(v.shape)}" for k, v in masks.items())
        raise AssertionError(f"your MultiHeadAttention on {shapes}{', ' + extra if extra else ''} raised "
                             f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"forward must return a pair (out, weights), but it returned {type(result).__name__}.")
    return result


def test_cross_attention_with_different_key_and_value_matches_pytorch():
    torch_mha, mine = pair(16, 4)
    query, key, value = torch.randn(2, 3, 16), torch.randn(2, 9, 16), torch.randn(2, 9, 16)
    pad = torch.zeros(2, 9, dtype=torch.bool)
    pad[1, 6:] = True
    expected, expected_w = reference(torch_mha, query, key, value, key_padding_mask=pad)
    out, weights = run(mine, query, key, value, key_padding_mask=pad)
    assert_tensor_close(weights, expected_w, atol=1e-5,
                        name="weights for cross-attention (T_q = 3, T_k = 9, key != value)")
    assert_tensor_close(out, expected, atol=1e-5,
                        name="output for cross-attention (queries from query, keys from key, values from value)")


def test_module_without_bias_matches_pytorch():
    torch_mha, mine = pair(8, 2, bias=False)
    x = torch.randn(2, 5, 8)
    expected, expected_w = reference(torch_mha, x, x, x)
    out, weights = run(mine, x, x, x)
    assert_tensor_close(weights, expected_w, atol=1e-5, name="weights with bias=False")
    assert_tensor_close(out, expected, atol=1e-5, name="output with bias=False")


def test_padding_and_causal_masks_together_match_pytorch():
    torch_mha, mine = pair(16, 8)  # head_dim = 2
    x = torch.randn(3, 7, 16)
    causal = torch.ones(7, 7, dtype=torch.bool).triu(diagonal=1)
    pad = torch.zeros(3, 7, dtype=torch.bool)
    pad[0, 5:] = True
    pad[2, 2:] = True
    expected, expected_w = reference(torch_mha, x, x, x, key_padding_mask=pad, attn_mask=causal)
    out, weights = run(mine, x, x, x, key_padding_mask=pad, attn_mask=causal)
    assert_tensor_close(weights, expected_w, atol=1e-5, name="weights with both key_padding_mask and a causal attn_mask")
    assert_tensor_close(out, expected, atol=1e-5, name="output with both masks (a pair is kept only if neither masks it)")


@pytest.mark.parametrize("num_heads", [1, 6])
def test_one_head_and_many_heads_match_pytorch(num_heads):
    torch_mha, mine = pair(12, num_heads)
    x = torch.randn(2, 5, 12)
    expected, expected_w = reference(torch_mha, x, x, x)
    out, weights = run(mine, x, x, x)
    assert_tensor_close(weights, expected_w, atol=1e-5, name=f"weights with num_heads = {num_heads}")
    assert_tensor_close(out, expected, atol=1e-5, name=f"output with num_heads = {num_heads}")


def test_embed_dim_not_divisible_by_num_heads_is_rejected():
    cls = get_function("MultiHeadAttention", SIGNATURE)
    try:
        cls(10, 4)
    except NotImplementedError:
        raise
    except (ValueError, AssertionError):
        return
    raise AssertionError("MultiHeadAttention(10, 4) should raise ValueError: 10 channels cannot be split evenly "
                         "into 4 heads.")


def test_gradients_match_pytorch_in_float64():
    torch_mha, mine = pair(8, 2, dtype=torch.float64)
    x = torch.randn(2, 4, 8, dtype=torch.float64, requires_grad=True)
    causal = torch.ones(4, 4, dtype=torch.bool).triu(diagonal=1)
    expected, _ = reference(torch_mha, x, x, x, attn_mask=causal)
    out, _ = run(mine, x, x, x, attn_mask=causal)
    assert_tensor_close(out, expected, atol=1e-10, rtol=1e-8, name="output for float64 input")
    g = torch.randn_like(expected)
    (expected_grad,) = torch.autograd.grad(expected, x, g)
    (grad,) = torch.autograd.grad(out, x, g, allow_unused=True, retain_graph=True)
    if grad is None:
        raise AssertionError("no gradient reached the input: keep everything in autograd (no .detach() or .item()).")
    assert_tensor_close(grad, expected_grad, atol=1e-10, rtol=1e-8, name="the gradient with respect to the input")
    out.pow(2).sum().backward()
    missing = [name for name, p in mine.named_parameters() if p.grad is None]
    assert not missing, f"these parameters got no gradient: {missing}."


def test_large_inputs_stay_finite_and_match_pytorch():
    torch_mha, mine = pair(8, 2)
    x = torch.randn(2, 6, 8) * 30  # scores in the hundreds: exp(score) overflows float32
    causal = torch.ones(6, 6, dtype=torch.bool).triu(diagonal=1)
    expected, expected_w = reference(torch_mha, x, x, x, attn_mask=causal)
    out, weights = run(mine, x, x, x, attn_mask=causal)
    assert_tensor_close(weights, expected_w, atol=1e-5,
                        name="weights for large inputs (x · 30); a hand-written softmax must subtract the row maximum")
    assert_tensor_close(out, expected, atol=1e-3, rtol=1e-4, name="output for large inputs (x · 30)")
