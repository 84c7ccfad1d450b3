"""Hidden tests for matrix multiplication from loops: edge cases, run only on *Submit*."""
import pytest
import torch

from course_harness import assert_tensor_close, get_function

LOOPS = "matmul_loops(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor"
BATCHED = "batched_matmul(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor"


def shape_named(message: str, shape) -> bool:
    dims = [str(d) for d in shape]
    spellings = {str(tuple(shape)), str(list(shape)), "x".join(dims), "×".join(dims), " x ".join(dims)}
    return any(s in message for s in spellings)


def test_batched_matmul_broadcasts_a_single_matrix_over_a_batch():
    batched_matmul = get_function("batched_matmul", BATCHED)
    A, B = torch.randn(6, 3, 4), torch.randn(4, 5)  # (B, n, k) @ (k, m) -> (B, n, m)
    assert_tensor_close(batched_matmul(A, B), A @ B, atol=1e-5, name="batched_matmul for A (6, 3, 4) and B (4, 5)")


def test_batched_matmul_stretches_size_one_batch_dimensions():
    batched_matmul = get_function("batched_matmul", BATCHED)
    A, B = torch.randn(1, 3, 4), torch.randn(5, 4, 2)  # (1, n, k) @ (B, k, m) -> (B, n, m)
    assert_tensor_close(batched_matmul(A, B), A @ B, atol=1e-5, name="batched_matmul for A (1, 3, 4) and B (5, 4, 2)")
    A, B = torch.randn(2, 1, 3, 4), torch.randn(3, 4, 2)  # batch (2, 1) with (3,) -> (2, 3)
    assert_tensor_close(batched_matmul(A, B), A @ B, atol=1e-5,
                        name="batched_matmul for A (2, 1, 3, 4) and B (3, 4, 2) (result (2, 3, 3, 2))")


@pytest.mark.parametrize("a_shape, b_shape, problem", [
    ((4, 3, 5), (4, 6, 2), "inner sizes 5 and 6 differ"),
    ((2, 3, 4), (3, 4, 5), "batch sizes 2 and 3 cannot broadcast"),
    ((3,), (3, 2), "A has only one dimension"),
])
def test_batched_matmul_raises_value_error_for_bad_shapes(a_shape, b_shape, problem):
    batched_matmul = get_function("batched_matmul", BATCHED)
    A, B = torch.randn(a_shape), torch.randn(b_shape)
    try:
        batched_matmul(A, B)
    except ValueError as exc:
        if len(a_shape) >= 2:
            assert shape_named(str(exc), a_shape) and shape_named(str(exc), b_shape), (
                f"The ValueError for A {a_shape} and B {b_shape} should name both shapes; it said: {str(exc)!r}")
        return
    except Exception as exc:  # noqa: BLE001 - say what was raised instead
        raise AssertionError(f"batched_matmul(A {a_shape}, B {b_shape}) ({problem}) raised {type(exc).__name__}: "
                             f"{exc}; check the shapes yourself first and raise ValueError.") from exc
    raise AssertionError(f"batched_matmul(A {a_shape}, B {b_shape}) returned a result, but {problem}: "
                         "it should raise ValueError.")


def test_matmul_loops_in_float64_and_for_one_by_one_matrices():
    matmul_loops = get_function("matmul_loops", LOOPS)
    A, B = torch.randn(5, 6, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    assert_tensor_close(matmul_loops(A, B), A @ B, atol=1e-12,
                        name="matmul_loops for float64 A (5, 6) and B (6, 3) (the result should be float64 too)")
    one = matmul_loops(torch.tensor([[3.0]]), torch.tensor([[-2.0]]))
    assert_tensor_close(one, torch.tensor([[-6.0]]), name="matmul_loops([[3]], [[-2]])")


def test_matmul_loops_rejects_inputs_that_are_not_matrices():
    matmul_loops = get_function("matmul_loops", LOOPS)
    for A, B in ((torch.randn(3), torch.randn(3, 2)), (torch.randn(2, 3, 4), torch.randn(4, 2))):
        try:
            matmul_loops(A, B)
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"matmul_loops(A {tuple(A.shape)}, B {tuple(B.shape)}) raised "
                                 f"{type(exc).__name__}: {exc}; it takes 2-D matrices only and should raise "
                                 "ValueError for anything else (check A.dim() and B.dim()).") from exc
        raise AssertionError(f"matmul_loops(A {tuple(A.shape)}, B {tuple(B.shape)}) returned a result; "
                             "it takes 2-D matrices only and should raise ValueError.")
