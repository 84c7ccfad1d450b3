"""Public tests for matrix multiplication from loops: run by *Run* and shown to the learner."""
import ast
import inspect
import textwrap

import pytest
import torch

from course_harness import assert_tensor_close, get_function, submission

LOOPS = "matmul_loops(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor"
BATCHED = "batched_matmul(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor"
# Built-in products, banned by name in the whole file (as attributes, imports or strings).
FORBIDDEN = {"matmul", "mm", "bmm", "einsum", "dot", "tensordot", "inner", "mv", "addmm", "addmv", "addbmm",
             "baddbmm", "linalg", "linear", "chain_matmul", "multi_dot", "vdot", "matrix_power"}


def shape_named(message: str, shape) -> bool:
    """Whether an error message mentions a shape, written as (2, 3), [2, 3], 2x3 or 2×3."""
    dims = [str(d) for d in shape]
    spellings = {str(tuple(shape)), str(list(shape)), "x".join(dims), "×".join(dims), " x ".join(dims)}
    return any(s in message for s in spellings)


def test_matmul_loops_matches_torch_on_small_matrices():
    matmul_loops = get_function("matmul_loops", LOOPS)
    for n, k, m in ((3, 2, 3), (1, 5, 1), (4, 7, 2), (8, 8, 8)):
        A, B = torch.randn(n, k), torch.randn(k, m)
        assert_tensor_close(matmul_loops(A, B), A @ B, atol=1e-5,
                            name=f"matmul_loops(A, B) for A ({n}, {k}) and B ({k}, {m})")


def test_matmul_loops_rejects_mismatched_inner_sizes_naming_both_shapes():
    matmul_loops = get_function("matmul_loops", LOOPS)
    A, B = torch.randn(2, 3), torch.randn(4, 5)
    try:
        result = matmul_loops(A, B)
    except ValueError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 - say what was raised instead
        raise AssertionError(f"matmul_loops(A (2, 3), B (4, 5)) raised {type(exc).__name__}: {exc}. Check the "
                             "inner sizes yourself before the loops and raise ValueError naming both shapes.") from exc
    else:
        raise AssertionError("matmul_loops(A (2, 3), B (4, 5)) returned a result of shape "
                             f"{tuple(getattr(result, 'shape', ()))}, but 3 columns of A cannot meet 4 rows of B: "
                             "raise ValueError naming both shapes.")
    assert shape_named(message, (2, 3)) and shape_named(message, (4, 5)), (
        f"The ValueError should name both shapes, (2, 3) and (4, 5), so the reader sees what did not fit; "
        f"your message was: {message!r}")


def test_matmul_loops_uses_loops_not_builtin_products(monkeypatch):
    matmul_loops = get_function("matmul_loops", LOOPS)
    try:
        module_tree = ast.parse(inspect.getsource(submission()))
        function_tree = ast.parse(textwrap.dedent(inspect.getsource(matmul_loops)))
    except (OSError, TypeError, SyntaxError):  # source unavailable: the run-time check below still applies
        module_tree = function_tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(module_tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append(f"line {node.lineno} (.{node.attr})")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [f"line {node.lineno} (import {a.name})" for a in node.names if a.name.split(".")[-1] in FORBIDDEN]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in FORBIDDEN:
            found.append(f"line {node.lineno} ({node.value!r})")
    for node in ast.walk(function_tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            found.append(f"the @ operator inside matmul_loops (line {node.lineno} of the function)")
    if found:
        pytest.fail("Build the product from loops over entries: the @ operator (inside matmul_loops) and "
                    "built-in products (torch.matmul, mm, bmm, einsum, dot, tensordot, inner, mv, linalg) "
                    f"are not allowed. Found: {', '.join(found)}.")
    if not any(isinstance(n, (ast.For, ast.While, ast.comprehension)) for n in ast.walk(function_tree)) \
            and len(function_tree.body):
        pytest.fail("matmul_loops has no loop: compute each entry C[i, j] inside Python for loops.")

    A, B = torch.randn(3, 4), torch.randn(4, 2)
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(1)
        raise AssertionError("matmul_loops called a built-in matrix product while it ran. "
                             "Compute each C[i, j] as a sum of A[i, p] * B[p, j] instead.")

    for owner, names in ((torch, ("matmul", "mm", "bmm", "einsum", "dot", "tensordot", "inner", "mv", "addmm",
                                  "vdot", "chain_matmul")),
                         (torch.Tensor, ("__matmul__", "__rmatmul__", "matmul", "mm", "bmm", "dot", "inner", "mv")),
                         (torch.linalg, ("matmul", "multi_dot", "vecdot")), (torch.nn.functional, ("linear",))):
        for name in names:
            if hasattr(owner, name):
                monkeypatch.setattr(owner, name, forbidden)
    try:
        matmul_loops(A, B)
    except Exception:  # noqa: BLE001 - wrong results are the other tests' business; this one checks the rule
        pass
    monkeypatch.undo()
    assert not calls, ("matmul_loops called a built-in matrix product while it ran. "
                       "Compute each C[i, j] as a sum of A[i, p] * B[p, j] instead.")
    # This test is a rule (breaking it scores 0), so it checks only the method; the values are checked elsewhere.


def test_batched_matmul_multiplies_each_pair_in_a_batch():
    batched_matmul = get_function("batched_matmul", BATCHED)
    A, B = torch.randn(5, 3, 4), torch.randn(5, 4, 2)  # (B, n, k), (B, k, m)
    assert_tensor_close(batched_matmul(A, B), A @ B, atol=1e-5,
                        name="batched_matmul(A, B) for A (5, 3, 4) and B (5, 4, 2)")
