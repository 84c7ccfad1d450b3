"""Public tests for scaled dot-product attention: run by *Run* and shown to the learner."""
import ast
import inspect
import math

import pytest
import torch
import torch.nn.functional as F

from course_harness import artifacts, assert_tensor_close, get_function, submission

SIGNATURE = ("scaled_dot_product_attention(q, k, v, causal: bool = False, mask: torch.Tensor | None = None)"
             " -> tuple[torch.Tensor, torch.Tensor]")
FORBIDDEN = {"scaled_dot_product_attention", "_scaled_dot_product_attention_math", "MultiheadAttention",
             "multi_head_attention_forward", "flash_attention", "flex_attention"}


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


def explicit_weights(q, k):
    """softmax(q kᵀ / sqrt(d_k)) written out, as the reference for the weights."""
    return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)


def test_output_and_weights_have_the_right_shapes():
    q, k, v = torch.randn(2, 5, 8), torch.randn(2, 7, 8), torch.randn(2, 7, 3)  # (B, T_q, d_k), (B, T_k, d_k), (B, T_k, d_v)
    out, weights = attend(q, k, v)
    for value, shape, name in ((out, (2, 5, 3), "output"), (weights, (2, 5, 7), "weights")):
        if not isinstance(value, torch.Tensor):
            raise AssertionError(f"{name} should be a tensor, got {type(value).__name__}.")
        assert tuple(value.shape) == shape, (
            f"{name} has shape {tuple(value.shape)}; for q (2, 5, 8), k (2, 7, 8), v (2, 7, 3) "
            f"it should be {shape}, i.e. (B, T_q, d_v) for the output and (B, T_q, T_k) for the weights.")


def test_output_matches_pytorch_attention():
    q, k, v = torch.randn(3, 6, 16), torch.randn(3, 6, 16), torch.randn(3, 6, 4)
    out, _ = attend(q, k, v)
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-5,
                        name="output for q, k of shape (3, 6, 16) and v of shape (3, 6, 4)")


def test_weights_are_the_softmax_of_scaled_scores():
    q, k, v = torch.randn(2, 4, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 2)
    _, weights = attend(q, k, v)
    assert_tensor_close(weights, explicit_weights(q, k), atol=1e-6,
                        name="the weight matrix softmax(q kᵀ / sqrt(d_k))")


def test_attention_heatmap_for_a_short_sentence():
    tokens = ["the", "small", "robot", "read", "a", "book"]
    d = 16
    x = torch.randn(1, len(tokens), d)  # (B=1, T=6, d): one random embedding per token
    w_q, w_k, w_v = (torch.randn(d, d) / math.sqrt(d) for _ in range(3))  # random projections
    q, k, v = x @ w_q, x @ w_k, x @ w_v  # (1, 6, 16) each
    out, weights = attend(q, k, v)
    if isinstance(weights, torch.Tensor) and weights.shape == (1, 6, 6) and bool(torch.isfinite(weights).all()):
        # Drawn under the results: row i shows how much token i attends to each token.
        artifacts().heatmap("attention weights", weights[0].detach(), x_labels=tokens, y_labels=tokens)
    assert_tensor_close(weights, explicit_weights(q, k), atol=1e-6, name="the weight matrix for the 6-token sentence")
    assert_tensor_close(weights.sum(dim=-1), torch.ones(1, 6), atol=1e-5, name="the vector of row sums of the weights")
    assert_tensor_close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-5, name="output for the 6-token sentence")


def test_does_not_call_pytorch_attention(monkeypatch):
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
        pytest.fail("This exercise asks you to write attention yourself, so PyTorch's "
                    "F.scaled_dot_product_attention and nn.MultiheadAttention are not allowed "
                    f"(the tests use them as the reference). Found: {where}.")

    def forbidden(*args, **kwargs):
        raise AssertionError("Your code called PyTorch's built-in attention, which this exercise does not allow.")

    monkeypatch.setattr(F, "scaled_dot_product_attention", forbidden)
    monkeypatch.setattr(F, "multi_head_attention_forward", forbidden)
    q = torch.randn(2, 3, 4)
    attend(q, q, q, causal=True)
