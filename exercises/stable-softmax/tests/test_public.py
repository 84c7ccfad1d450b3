"""Public tests for the stable softmax exercise: run by *Run* and shown to the learner."""
import ast
import inspect

import pytest
import torch

from course_harness import assert_tensor_close, get_function, submission

SIGNATURE = "softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor"
# Attribute or imported names that would hand the work to PyTorch's own softmax.
FORBIDDEN = {"softmax", "log_softmax", "Softmax", "LogSoftmax", "Softmax2d", "_softmax", "_log_softmax"}


def _softmax():
    return get_function("softmax", SIGNATURE)


def test_matches_torch_softmax_on_small_scores():
    softmax = _softmax()
    x = torch.randn(4, 6)  # (B, C)
    assert_tensor_close(softmax(x), torch.softmax(x, dim=-1), atol=1e-6, name="softmax(x) for x of shape (4, 6)")


def test_rows_sum_to_one_and_are_not_negative():
    softmax = _softmax()
    x = torch.randn(5, 7) * 3  # (B, C)
    p = softmax(x, dim=-1)
    assert_tensor_close(p, torch.softmax(x, dim=-1), atol=1e-6, name="softmax(x, dim=-1)")
    assert bool((p >= 0).all()), "softmax returned negative entries; probabilities are never below 0."
    assert_tensor_close(p.sum(dim=-1), torch.ones(5), atol=1e-5, name="the vector of row sums of softmax(x, dim=-1)")


def test_large_scores_do_not_overflow():
    softmax = _softmax()
    # exp(100.0) is inf in float32: the textbook formula gives inf / inf = NaN here.
    x = torch.tensor([[100.0, 101.0, 102.0], [-3.0, 0.0, 90.0]])
    assert_tensor_close(softmax(x), torch.softmax(x, dim=-1), atol=1e-6,
                        name="softmax of [[100, 101, 102], [-3, 0, 90]]")


def test_does_not_call_torch_softmax(monkeypatch):
    module = submission()
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):  # source unavailable: fall back to the run-time check below
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
        pytest.fail("The point of this exercise is to write softmax yourself, so PyTorch's own softmax "
                    f"(torch.softmax, F.softmax, x.softmax, nn.Softmax, log_softmax) is not allowed. Found: {where}. "
                    "Use torch.exp, amax and sum instead.")

    # Run-time check too: make every built-in softmax raise while your function runs.
    def forbidden(*args, **kwargs):
        raise AssertionError("Your softmax called PyTorch's built-in softmax, which this exercise does not allow. "
                             "Use torch.exp, amax and sum instead.")

    for owner in (torch, torch.nn.functional, torch.special, torch.Tensor):
        for name in ("softmax", "log_softmax"):
            if hasattr(owner, name):
                monkeypatch.setattr(owner, name, forbidden)
    softmax = _softmax()
    x = torch.randn(3, 4)
    softmax(x, dim=-1)
