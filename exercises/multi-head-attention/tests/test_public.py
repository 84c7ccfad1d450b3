"""Public tests for multi-head attention: run by *Run* and shown to the learner."""
import ast
import inspect

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function, submission

SIGNATURE = "class MultiHeadAttention(nn.Module) with __init__(self, embed_dim: int, num_heads: int, bias: bool = True)"
FORBIDDEN = {"MultiheadAttention", "multi_head_attention_forward", "scaled_dot_product_attention"}


def pair(embed_dim, num_heads, bias=True):
    """A PyTorch nn.MultiheadAttention and the learner's module with its weights copied in."""
    torch_mha = nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True)
    with torch.no_grad():  # non-zero biases, so a bias copied to the wrong place shows
        for p in torch_mha.parameters():
            if p.dim() == 1:
                p.normal_(0, 0.2)
    cls = get_function("MultiHeadAttention", SIGNATURE)
    mine = cls(embed_dim, num_heads, bias=bias)
    if not callable(getattr(mine, "load_from_torch", None)):
        raise AssertionError("MultiHeadAttention needs a method `load_from_torch(self, mha)` that copies the weights "
                             "of an nn.MultiheadAttention; the tests use it to give both modules the same weights.")
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


def test_output_and_averaged_weights_have_the_right_shapes():
    _, mine = pair(16, 4)
    q, kv = torch.randn(2, 3, 16), torch.randn(2, 7, 16)
    out, weights = run(mine, q, kv, kv)
    for value, shape, name in ((out, (2, 3, 16), "out"), (weights, (2, 3, 7), "weights")):
        if not isinstance(value, torch.Tensor):
            raise AssertionError(f"{name} should be a tensor, got {type(value).__name__}.")
        assert tuple(value.shape) == shape, (
            f"{name} has shape {tuple(value.shape)}; for query (2, 3, 16) and key/value (2, 7, 16) with 4 heads it "
            f"should be {shape}: (B, T_q, C) for out and (B, T_q, T_k) for weights averaged over the heads.")


def test_self_attention_matches_pytorch():
    torch_mha, mine = pair(16, 4)
    x = torch.randn(3, 6, 16)
    expected, expected_w = reference(torch_mha, x, x, x)
    out, weights = run(mine, x, x, x)
    assert_tensor_close(weights, expected_w, atol=1e-5,
                        name="weights averaged over the 4 heads (check: scale by sqrt(head_dim), mean over heads)")
    assert_tensor_close(out, expected, atol=1e-5, name="output for self-attention with 4 heads")


def test_key_padding_mask_matches_pytorch():
    torch_mha, mine = pair(8, 2)
    x = torch.randn(2, 5, 8)
    pad = torch.tensor([[False, False, False, True, True],     # sequence 0: last two positions are padding
                        [False, False, False, False, False]])  # True = padding, ignore (PyTorch's convention)
    expected, expected_w = reference(torch_mha, x, x, x, key_padding_mask=pad)
    out, weights = run(mine, x, x, x, key_padding_mask=pad)
    if isinstance(weights, torch.Tensor) and weights.shape == (2, 5, 5):
        leaked = weights.detach()[0, :, 3:].abs().max().item()
        assert leaked == 0.0, (f"padded keys (key_padding_mask True) must get weight exactly 0, but one got {leaked:.3g}. "
                               "In PyTorch's convention True means 'ignore this key'.")
    assert_tensor_close(weights, expected_w, atol=1e-5, name="weights with a key_padding_mask")
    assert_tensor_close(out, expected, atol=1e-5, name="output with a key_padding_mask")


def test_causal_attn_mask_matches_pytorch():
    torch_mha, mine = pair(12, 3)
    x = torch.randn(2, 6, 12)
    causal = torch.ones(6, 6, dtype=torch.bool).triu(diagonal=1)  # True = future = not allowed
    expected, expected_w = reference(torch_mha, x, x, x, attn_mask=causal)
    out, weights = run(mine, x, x, x, attn_mask=causal)
    if isinstance(weights, torch.Tensor) and weights.shape == (2, 6, 6):
        w = weights.detach()
        bad = (~torch.isfinite(w)).any() or (w[:, causal].abs() > 0).any()
        assert not bad, ("with attn_mask = triu(ones, diagonal=1), no query may attend to a later key, and no row may "
                         "be NaN. PyTorch's masks mean True = masked out: fill the scores where attn_mask is True "
                         "with -inf (the previous exercises used the opposite convention).")
    assert_tensor_close(weights, expected_w, atol=1e-5, name="weights with a causal attn_mask (True = masked out)")
    assert_tensor_close(out, expected, atol=1e-5, name="output with a causal attn_mask")


def _annotation_nodes(tree):
    """Nodes inside type annotations: naming nn.MultiheadAttention there is allowed."""
    inside = set()
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, ast.arg) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for ann in annotations:
            inside.update(id(n) for n in ast.walk(ann))
    return inside


def test_does_not_use_pytorch_attention(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):  # source unavailable: the run-time check below still applies
        tree = ast.Module(body=[], type_ignores=[])
    allowed = _annotation_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.ImportFrom) and any(a.name in FORBIDDEN for a in node.names):
            found.append((node.lineno, f"from {node.module} import ..."))
        elif isinstance(node, ast.Constant) and node.value in FORBIDDEN:
            found.append((node.lineno, repr(node.value)))
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in sorted(found))
        pytest.fail("This exercise asks you to write multi-head attention yourself from nn.Linear, matrix products "
                    "and softmax, so nn.MultiheadAttention, F.multi_head_attention_forward and "
                    "F.scaled_dot_product_attention may not be called (the tests use them as the reference; naming "
                    f"nn.MultiheadAttention in a type annotation is fine). Found: {where}.")

    torch_mha, mine = pair(8, 2)
    x = torch.randn(2, 4, 8)
    expected, _ = reference(torch_mha, x, x, x)

    def forbidden(*args, **kwargs):
        raise AssertionError("Your forward called PyTorch's attention (nn.MultiheadAttention, "
                             "F.multi_head_attention_forward or F.scaled_dot_product_attention), which this exercise "
                             "does not allow.")

    monkeypatch.setattr(F, "multi_head_attention_forward", forbidden)
    monkeypatch.setattr(F, "scaled_dot_product_attention", forbidden)
    monkeypatch.setattr(nn.MultiheadAttention, "forward", forbidden)
    out, _ = run(mine, x, x, x)
    monkeypatch.undo()
    assert_tensor_close(out, expected, atol=1e-5, name="output with PyTorch's attention switched off")
