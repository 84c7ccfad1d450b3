"""Hidden tests for the self-attention layer: bias, scaling, lengths, gradients (run on *Submit*)."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURE = "class SelfAttention(nn.Module) with __init__(self, embed_dim: int, bias: bool = True)"
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "out_proj")


def make_layer(embed_dim, bias=True, dtype=torch.float32):
    """Build the learner's layer and overwrite its projections with known random weights."""
    cls = get_function("SelfAttention", SIGNATURE)
    layer = cls(embed_dim, bias=bias).to(dtype)
    params = {}
    for name in PROJECTIONS:
        proj = getattr(layer, name, None)
        if not isinstance(proj, nn.Linear):
            raise AssertionError(f"SelfAttention needs an attribute `{name}` that is an nn.Linear(embed_dim, embed_dim); "
                                 f"found {type(proj).__name__}.")
        if (proj.bias is not None) != bias:
            raise AssertionError(f"`{name}` {'has no' if bias else 'has a'} bias, but SelfAttention(bias={bias}) "
                                 f"should create it with bias={bias}.")
        w = torch.randn(embed_dim, embed_dim, dtype=dtype) / math.sqrt(embed_dim)
        b = torch.randn(embed_dim, dtype=dtype) * 0.1 if bias else None
        with torch.no_grad():
            proj.weight.copy_(w)
            if bias:
                proj.bias.copy_(b)
        params[name] = (w, b)
    return layer, params


def reference(x, params, causal=False):
    q, k, v = (F.linear(x, *params[n]) for n in ("q_proj", "k_proj", "v_proj"))
    T, C = x.shape[-2:]
    scores = q @ k.transpose(-2, -1) / math.sqrt(C)
    if causal:
        scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return F.linear(weights @ v, *params["out_proj"]), weights


def run(layer, x, **kwargs):
    try:
        result = layer(x, **kwargs)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        raise AssertionError(f"SelfAttention on x of shape {tuple(x.shape)} with {kwargs or 'no options'} raised "
                             f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"forward must return a pair (out, weights), but it returned {type(result).__name__}.")
    return result


def test_layer_without_bias_matches_the_reference():
    layer, params = make_layer(12, bias=False)
    x = torch.randn(2, 5, 12)
    out, weights = run(layer, x, causal=True)
    ref_out, ref_weights = reference(x, params, causal=True)
    assert_tensor_close(weights, ref_weights, atol=1e-5, name="weights with bias=False and causal=True")
    assert_tensor_close(out, ref_out, atol=1e-5, name="output with bias=False and causal=True")


def test_scores_are_scaled_by_sqrt_of_embed_dim():
    C = 64
    layer, params = make_layer(C)
    x = torch.randn(1, 5, C) * 2
    _, weights = run(layer, x)
    q, k = F.linear(x, *params["q_proj"]), F.linear(x, *params["k_proj"])
    unscaled = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
    if isinstance(weights, torch.Tensor) and weights.shape == unscaled.shape and \
            torch.allclose(weights.detach(), unscaled, atol=1e-5):
        raise AssertionError(f"the weights equal softmax(q kᵀ) without scaling: divide the scores by sqrt(C) "
                             f"(here sqrt({C}) = 8) before the softmax.")
    assert_tensor_close(weights, reference(x, params)[1], atol=1e-5, name=f"the weight matrix for C = {C}")


def test_one_layer_handles_different_sequence_lengths():
    layer, params = make_layer(8)
    for T in (1, 3, 17):
        x = torch.randn(2, T, 8)
        out, weights = run(layer, x, causal=True)
        ref_out, ref_weights = reference(x, params, causal=True)
        assert_tensor_close(out, ref_out, atol=1e-5, name=f"causal output for T = {T}")
        assert_tensor_close(weights, ref_weights, atol=1e-5, name=f"causal weights for T = {T}")


def test_sequences_in_a_batch_do_not_mix():
    layer, _ = make_layer(8)
    x = torch.randn(4, 5, 8)
    out, _ = run(layer, x)
    out_single, _ = run(layer, x[2:3])
    assert_tensor_close(out[2:3], out_single, atol=1e-5,
                        name="output for sequence 2 run alone vs inside a batch of 4 (attention must stay within "
                             "each sequence: softmax over dim=-1 of (B, T, T) scores)")


def test_gradients_reach_x_and_every_parameter_in_float64():
    layer, params = make_layer(6, dtype=torch.float64)
    x = torch.randn(2, 4, 6, dtype=torch.float64, requires_grad=True)
    out, _ = run(layer, x, causal=True)
    assert_tensor_close(out, reference(x, params, causal=True)[0], atol=1e-10, rtol=1e-8,
                        name="output for float64 input (dtype should be kept)")
    out.pow(2).sum().backward()
    if x.grad is None:
        raise AssertionError("no gradient reached x: avoid .detach(), .item() or rebuilding tensors from numbers.")
    missing = [name for name, p in layer.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    assert not missing, f"these parameters got no gradient: {missing}. Every projection must be used in forward."


def test_large_inputs_give_finite_weights():
    layer, params = make_layer(8)
    x = torch.randn(2, 6, 8) * 40  # scores in the hundreds: exp(score) overflows float32
    for causal in (False, True):
        out, weights = run(layer, x, causal=causal)
        ref_out, ref_weights = reference(x, params, causal=causal)
        assert_tensor_close(weights, ref_weights, atol=1e-5,
                            name=f"weights for large inputs (x · 40, causal={causal}); a hand-written softmax must "
                                 "subtract the row maximum before exp")
        assert_tensor_close(out, ref_out, atol=1e-4, rtol=1e-4, name=f"output for large inputs (causal={causal})")
