"""Public tests for determinants and linear solves: run by *Run* and shown to the learner."""
import ast
import inspect

import pytest
import torch

from course_harness import assert_tensor_close, get_function, submission

DET = "det_2x2_3x3(A: torch.Tensor) -> torch.Tensor"
SOLVE = "solve(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor"
# Names that would hand the work to PyTorch (as attributes, imports or strings anywhere in the file).
FORBIDDEN = {"linalg", "det", "logdet", "slogdet", "inverse", "pinverse", "solve", "lstsq", "lu", "lu_solve",
             "lu_factor", "lu_unpack", "cholesky", "cholesky_solve", "cholesky_inverse", "triangular_solve",
             "qr", "svd"}


def well_conditioned(n, dtype=torch.float64):
    """A random (n, n) matrix with a strong diagonal, far from singular."""
    return torch.randn(n, n, dtype=dtype) + n * torch.eye(n, dtype=dtype)


def solve_or_explain(A, b):
    """Call the learner's solve, turning an unexpected error into a readable failure."""
    solve = get_function("solve", SOLVE)
    try:
        return solve(A, b)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - report which input broke it
        raise AssertionError(f"solve(A {tuple(A.shape)}, b {tuple(b.shape)}) raised {type(exc).__name__}: {exc}; "
                             f"A was\n{A}") from exc


def test_det_matches_torch_for_2x2_and_3x3():
    det = get_function("det_2x2_3x3", DET)
    for n in (2, 3):
        for _ in range(3):
            A = torch.randn(n, n, dtype=torch.float64)
            assert_tensor_close(det(A), torch.linalg.det(A), atol=1e-12, name=f"det_2x2_3x3 of a random {n}×{n} matrix")
    A = torch.tensor([[2.0, 0.0, 1.0], [1.0, 3.0, 2.0], [1.0, 1.0, 2.0]])  # 2·(6 − 2) − 0 + 1·(1 − 3) = 6
    assert_tensor_close(det(A), torch.tensor(6.0), atol=1e-5, name="det_2x2_3x3([[2, 0, 1], [1, 3, 2], [1, 1, 2]])")


def test_solve_matches_torch_linalg_solve():
    A, b = well_conditioned(4), torch.randn(4, dtype=torch.float64)  # (n, n), (n,)
    expected = torch.linalg.solve(A, b)
    x = solve_or_explain(A, b)
    assert_tensor_close(x, expected, atol=1e-10, name="solve(A, b) for a 4×4 A (float64)")
    assert_tensor_close(A @ x, b, atol=1e-10, name="A @ x, the residual check (it should give back b)")


def test_solve_swaps_rows_when_the_diagonal_has_a_zero():
    A = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)  # no pivoting: division by A[0, 0] = 0
    b = torch.tensor([2.0, 3.0], dtype=torch.float64)
    assert_tensor_close(solve_or_explain(A, b), torch.tensor([3.0, 2.0], dtype=torch.float64), atol=1e-12,
                        name="solve([[0, 1], [1, 0]], [2, 3]) (needs a row swap: pick the largest pivot)")


def test_solve_raises_for_a_singular_matrix():
    solve = get_function("solve", SOLVE)
    for A in (torch.tensor([[1.0, 2.0], [2.0, 4.0]]),                       # row 2 = 2 × row 1
              torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 6.0]])):  # a zero row
        b = torch.ones(A.shape[0])
        try:
            result = solve(A, b)
        except ValueError as exc:
            assert "singular" in str(exc).lower(), f"The ValueError should say the matrix is singular; it said {exc!r}."
            continue
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"solve raised {type(exc).__name__}: {exc} for the singular matrix\n{A}\n"
                                 "Check each pivot against the tolerance and raise ValueError('... singular ...')."
                                 ) from exc
        raise AssertionError(f"solve returned {result} for the singular matrix\n{A}\n"
                             "A singular matrix has no unique solution: raise ValueError('... singular ...').")


def test_does_not_use_torch_linalg(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError, SyntaxError):
        tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append(f"line {node.lineno} (.{node.attr})")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [f"line {node.lineno} (import {a.name})" for a in node.names
                      if FORBIDDEN & set(a.name.split("."))]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in FORBIDDEN:
            found.append(f"line {node.lineno} ({node.value!r})")
    if found:
        pytest.fail("This exercise is about doing the algebra yourself, so torch.linalg (det, solve, inv, lstsq, "
                    f"lu, ...), torch.det and torch.inverse are not allowed. Found: {', '.join(found)}.")

    A3, A4, b4 = torch.randn(3, 3, dtype=torch.float64), well_conditioned(4), torch.randn(4, dtype=torch.float64)
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(1)
        raise AssertionError("Your code called a torch.linalg routine (or torch.det / torch.inverse) while it ran; "
                             "write the cofactor expansion and the elimination yourself.")

    for owner, names in ((torch.linalg, ("det", "slogdet", "solve", "solve_ex", "inv", "inv_ex", "lstsq", "pinv",
                                         "lu", "lu_factor", "lu_factor_ex", "lu_solve", "solve_triangular",
                                         "cholesky", "qr", "svd")),
                         (torch, ("det", "logdet", "slogdet", "inverse", "pinverse", "lu_solve", "triangular_solve",
                                  "cholesky_solve")),
                         (torch.Tensor, ("det", "logdet", "slogdet", "inverse", "pinverse", "lu_solve",
                                         "triangular_solve", "cholesky_solve"))):
        for name in names:
            if hasattr(owner, name):
                monkeypatch.setattr(owner, name, forbidden)
    for call in (lambda: get_function("det_2x2_3x3", DET)(A3), lambda: get_function("solve", SOLVE)(A4, b4)):
        try:
            call()
        except Exception:  # noqa: BLE001 - wrong results and crashes are the other tests' business
            pass
    monkeypatch.undo()
    assert not calls, ("Your code called a torch.linalg routine (or torch.det / torch.inverse) while it ran; "
                       "write the cofactor expansion and the elimination yourself.")
    # This test is a rule (breaking it scores 0), so it checks only the method; the values are checked elsewhere.
