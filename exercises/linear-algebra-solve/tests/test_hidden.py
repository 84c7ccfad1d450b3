"""Hidden tests for determinants and linear solves: edge cases, run only on *Submit*."""
import torch

from course_harness import assert_tensor_close, get_function

DET = "det_2x2_3x3(A: torch.Tensor) -> torch.Tensor"
SOLVE = "solve(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor"


def solve_or_explain(A, b):
    solve = get_function("solve", SOLVE)
    try:
        return solve(A, b)
    except Exception as exc:  # noqa: BLE001 - report which input broke it
        raise AssertionError(f"solve(A {tuple(A.shape)}, b {tuple(b.shape)}) raised {type(exc).__name__}: {exc}; "
                             f"A was\n{A}") from exc


def test_pivoting_handles_zero_and_tiny_diagonal_entries():
    A = torch.tensor([[0.0, 2.0, 1.0], [1.0, 1.0, 1.0], [2.0, 1.0, 0.0]], dtype=torch.float64)
    x_true = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    assert_tensor_close(solve_or_explain(A, A @ x_true), x_true, atol=1e-12,
                        name="solve for a 3×3 A with zeros on its diagonal")
    # A pivot of 1e-20 is not zero, but dividing by it wipes out the other row: without row swaps
    # the answer comes out as [0, 1] instead of about [1, 1].
    A = torch.tensor([[1e-20, 1.0], [1.0, 1.0]], dtype=torch.float64)
    b = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert_tensor_close(solve_or_explain(A, b), torch.tensor([1.0, 1.0], dtype=torch.float64), atol=1e-12,
                        name="solve([[1e-20, 1], [1, 1]], [1, 2]) (swap in the larger pivot even when the small one "
                             "is not exactly 0)")


def test_float64_accuracy_and_dtype_are_kept():
    A = torch.randn(6, 6, dtype=torch.float64) + 6 * torch.eye(6, dtype=torch.float64)
    b = torch.randn(6, dtype=torch.float64)
    assert_tensor_close(solve_or_explain(A, b), torch.linalg.solve(A, b), atol=1e-12, rtol=1e-10,
                        name="solve for a 6×6 float64 system")
    A32, b32 = A.float(), b.float()
    assert_tensor_close(solve_or_explain(A32, b32), torch.linalg.solve(A32, b32), atol=1e-5,
                        name="solve for the same system in float32 (the result should stay float32)")


def test_many_right_hand_sides_and_inputs_left_unchanged():
    A = torch.randn(5, 5, dtype=torch.float64) + 5 * torch.eye(5, dtype=torch.float64)
    A[0, 0] = 0.0  # make a row swap necessary
    B = torch.randn(5, 3, dtype=torch.float64)  # (n, k): three systems with the same A
    A_before, B_before = A.clone(), B.clone()
    expected = torch.linalg.solve(A, B)
    assert_tensor_close(solve_or_explain(A, B), expected, atol=1e-10,
                        name="solve(A, B) for B of shape (5, 3) (one column of x per column of B)")
    assert_tensor_close(A, A_before, atol=0, rtol=0, name="A after solve (work on a clone; A must not change)")
    assert_tensor_close(B, B_before, atol=0, rtol=0, name="b after solve (work on a clone; b must not change)")


def test_ill_conditioned_but_solvable_versus_singular_by_rounding():
    # The 6×6 Hilbert matrix H[i, j] = 1 / (i + j + 1) is nearly singular (condition number ~1.5e7),
    # but in float64 it is still solvable to about 9 digits.
    H = torch.tensor([[1.0 / (i + j + 1) for j in range(6)] for i in range(6)], dtype=torch.float64)
    x_true = torch.ones(6, dtype=torch.float64)
    assert_tensor_close(solve_or_explain(H, H @ x_true), x_true, atol=1e-6,
                        name="solve for the 6×6 Hilbert matrix (ill-conditioned, but not singular)")
    # [[1, 2, 3], [4, 5, 6], [7, 8, 9]] is exactly singular; in float64 the last pivot comes out as
    # about 1e-16 instead of 0, which the tolerance n·eps·max|A| catches.
    A = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(3, 3)
    try:
        x = get_function("solve", SOLVE)(A, torch.ones(3, dtype=torch.float64))
    except ValueError as exc:
        assert "singular" in str(exc).lower(), f"The ValueError should say the matrix is singular; it said {exc!r}."
        return
    raise AssertionError(f"solve returned {x} for [[1, 2, 3], [4, 5, 6], [7, 8, 9]], which is singular. Rounding "
                         "leaves a pivot of about 1e-16 rather than exactly 0: compare each pivot with "
                         "n * torch.finfo(A.dtype).eps * A.abs().max() instead of testing == 0.")


def test_tolerance_is_relative_to_the_size_of_A():
    # Scaling A by a power of two changes no digit of the elimination, so "singular or not" must not change
    # either: compare pivots with n * eps * max|A|, not with a fixed number like 1e-10.
    A = torch.randn(4, 4, dtype=torch.float64) + 4 * torch.eye(4, dtype=torch.float64)
    x_true = torch.randn(4, dtype=torch.float64)
    small = A * 2.0 ** -40  # entries around 1e-12, perfectly well conditioned
    assert_tensor_close(solve_or_explain(small, small @ x_true), x_true, atol=1e-10, rtol=1e-8,
                        name="solve for a well-conditioned 4×4 A whose entries are about 1e-12 (it is not singular: "
                             "the tolerance should scale with max|A|)")
    big = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(3, 3) * 2.0 ** 40  # singular, entries about 1e13
    try:
        x = get_function("solve", SOLVE)(big, torch.ones(3, dtype=torch.float64))
    except ValueError as exc:
        assert "singular" in str(exc).lower(), f"The ValueError should say the matrix is singular; it said {exc!r}."
        return
    raise AssertionError(f"solve returned {x} for 2**40 · [[1, 2, 3], [4, 5, 6], [7, 8, 9]], which is singular: its "
                         "last pivot is rounding noise of about 1e-4, tiny next to entries of 1e13. Compare pivots "
                         "with n * torch.finfo(A.dtype).eps * A.abs().max(), not with a fixed number.")


def test_det_keeps_the_dtype_and_rejects_other_sizes():
    det = get_function("det_2x2_3x3", DET)
    A = torch.tensor([[4.0, -2.0, 1.0], [3.0, 6.0, -4.0], [2.0, 1.0, 8.0]], dtype=torch.float64)
    assert_tensor_close(det(A), torch.linalg.det(A), atol=1e-10, name="det_2x2_3x3 of a float64 3×3 matrix")
    singular = torch.tensor([[1.0, 2.0], [2.0, 4.0]])
    assert_tensor_close(det(singular), torch.tensor(0.0), atol=1e-6, name="det_2x2_3x3([[1, 2], [2, 4]])")
    for shape in ((4, 4), (2, 3), (3,)):
        try:
            det(torch.ones(shape))
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"det_2x2_3x3 of a tensor of shape {shape} raised {type(exc).__name__}: {exc}; "
                                 "it should raise ValueError (only 2×2 and 3×3 are supported).") from exc
        raise AssertionError(f"det_2x2_3x3 returned a value for a tensor of shape {shape}; it should raise ValueError.")
