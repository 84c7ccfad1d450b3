"""Public tests for the self-attention layer: run by *Run* and shown to the learner."""
import ast
import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import artifacts, assert_tensor_close, get_function, submission

SIGNATURE = "class SelfAttention(nn.Module) with __init__(self, embed_dim: int, bias: bool = True)"
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "out_proj")
FORBIDDEN = {"MultiheadAttention", "multi_head_attention_forward"}


def make_layer(embed_dim, bias=True):
    """Build the learner's layer and overwrite its projections with known random weights."""
    cls = get_function("SelfAttention", SIGNATURE)
    layer = cls(embed_dim, bias=bias)
    params = {}
    for name in PROJECTIONS:
        proj = getattr(layer, name, None)
        if not isinstance(proj, nn.Linear):
            raise AssertionError(f"SelfAttention needs an attribute `{name}` that is an nn.Linear(embed_dim, embed_dim); "
                                 f"found {type(proj).__name__}. The tests copy weights into it by that name.")
        if tuple(proj.weight.shape) != (embed_dim, embed_dim):
            raise AssertionError(f"`{name}.weight` has shape {tuple(proj.weight.shape)}, expected "
                                 f"({embed_dim}, {embed_dim}) for embed_dim={embed_dim}.")
        if (proj.bias is not None) != bias:
            raise AssertionError(f"`{name}` {'has no' if bias else 'has a'} bias, but SelfAttention(bias={bias}) "
                                 f"should create it with bias={bias}.")
        w = torch.randn(embed_dim, embed_dim) / math.sqrt(embed_dim)
        b = torch.randn(embed_dim) * 0.1 if bias else None
        with torch.no_grad():
            proj.weight.copy_(w)
            if bias:
                proj.bias.copy_(b)
        params[name] = (w, b)
    return layer, params


def reference(x, params, causal=False):
    """out_proj(softmax(q kᵀ / sqrt(C)) v) written with plain torch ops."""
    q, k, v = (F.linear(x, *params[n]) for n in ("q_proj", "k_proj", "v_proj"))
    T, C = x.shape[-2:]
    scores = q @ k.transpose(-2, -1) / math.sqrt(C)
    if causal:
        scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return F.linear(weights @ v, *params["out_proj"]), weights


def run(layer, x, **kwargs):
    """Call the layer and check that it returns (out, weights)."""
    try:
        result = layer(x, **kwargs)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        raise AssertionError(f"SelfAttention on x of shape {tuple(x.shape)} with {kwargs or 'no options'} raised "
                             f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError("forward must return a pair (out, weights), "
                             f"but it returned {type(result).__name__}.")
    return result


def test_output_and_weights_have_the_right_shapes():
    layer, _ = make_layer(16)
    out, weights = run(layer, torch.randn(3, 7, 16))
    for value, shape, name in ((out, (3, 7, 16), "out"), (weights, (3, 7, 7), "weights")):
        if not isinstance(value, torch.Tensor):
            raise AssertionError(f"{name} should be a tensor, got {type(value).__name__}.")
        assert tuple(value.shape) == shape, (
            f"{name} has shape {tuple(value.shape)}; for x of shape (B, T, C) = (3, 7, 16) it should be {shape}: "
            "(B, T, C) for out and (B, T, T) for weights.")


def test_matches_a_reference_with_the_same_weights():
    layer, params = make_layer(16)
    x = torch.randn(2, 6, 16)
    out, weights = run(layer, x)
    ref_out, ref_weights = reference(x, params)
    assert_tensor_close(weights, ref_weights, atol=1e-5, name="weights = softmax(q kᵀ / sqrt(C))")
    assert_tensor_close(out, ref_out, atol=1e-5, name="out = out_proj(weights @ v)")


def test_causal_outputs_ignore_future_tokens():
    layer, params = make_layer(8)
    x = torch.randn(1, 6, 8)
    out, weights = run(layer, x, causal=True)
    if isinstance(weights, torch.Tensor) and weights.shape == (1, 6, 6):
        sums = weights.detach().sum(dim=-1)
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-5), (
            f"with causal=True each row of weights must still sum to one, but the row sums are {sums[0].tolist()}: "
            "mask the scores (set them to -inf) before the softmax instead of zeroing weights after it.")
    x2 = x.clone()
    x2[:, 4:] = torch.randn(1, 2, 8)  # change the last two tokens only
    out2, _ = run(layer, x2, causal=True)
    assert_tensor_close(out2[:, :4], out[:, :4], atol=1e-6,
                        name="outputs at positions 0-3 after changing tokens 4 and 5 (with causal=True)")
    above = weights.detach()[0].triu(diagonal=1).abs().max().item()
    assert above == 0.0, (f"with causal=True the weights above the diagonal must be exactly 0, but one is {above:.3g}: "
                          "set those scores to -inf before the softmax.")
    ref_out, ref_weights = reference(x, params, causal=True)
    assert_tensor_close(out, ref_out, atol=1e-5, name="causal output")


def test_attention_heatmap_for_a_short_sentence():
    tokens = ["the", "cat", "sat", "on", "the", "mat"]
    C = 16
    vocab = {w: i for i, w in enumerate(dict.fromkeys(tokens))}
    table = torch.randn(len(vocab), C)                      # one random embedding per distinct word
    x = table[torch.tensor([vocab[w] for w in tokens])][None] + 0.3 * torch.randn(1, 6, C)  # (1, 6, C)
    layer, params = make_layer(C)
    _, weights = run(layer, x)
    if isinstance(weights, torch.Tensor) and weights.shape == (1, 6, 6) and bool(torch.isfinite(weights).all()):
        # Drawn under the results: row i shows how much word i attends to each word.
        artifacts().heatmap("self-attention weights", weights[0].detach(), x_labels=tokens, y_labels=tokens)
    _, ref_weights = reference(x, params)
    assert_tensor_close(weights, ref_weights, atol=1e-5, name="the weight matrix for the 6-word sentence")
    assert_tensor_close(weights.sum(dim=-1), torch.ones(1, 6), atol=1e-5, name="the vector of row sums of the weights")


def test_does_not_use_pytorch_multi_head_attention(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):  # source unavailable: the run-time check below still applies
        tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and any(a.name in FORBIDDEN for a in node.names):
            found.append((node.lineno, f"from {node.module} import ..."))
        elif isinstance(node, ast.Constant) and node.value in FORBIDDEN:
            found.append((node.lineno, repr(node.value)))
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in sorted(found))
        pytest.fail("This exercise asks you to build the layer from nn.Linear and attention you write yourself, so "
                    f"nn.MultiheadAttention and F.multi_head_attention_forward are not allowed. Found: {where}.")

    def forbidden(*args, **kwargs):
        raise AssertionError("Your code called PyTorch's multi-head attention, which this exercise does not allow.")

    monkeypatch.setattr(F, "multi_head_attention_forward", forbidden)
    monkeypatch.setattr(nn.MultiheadAttention, "forward", forbidden)
    layer, _ = make_layer(4)
    run(layer, torch.randn(2, 3, 4), causal=True)
