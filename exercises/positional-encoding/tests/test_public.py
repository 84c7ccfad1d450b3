"""Public tests for sinusoidal positional encoding: run by *Run* and shown to the learner."""
import math

import torch

from course_harness import artifacts, assert_tensor_close, get_function

SIGNATURE = "sinusoidal_encoding(T: int, d_model: int) -> torch.Tensor"


def encode(T, d_model):
    fn = get_function("sinusoidal_encoding", SIGNATURE)
    try:
        pe = fn(T, d_model)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        raise AssertionError(f"sinusoidal_encoding({T}, {d_model}) raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(pe, torch.Tensor):
        raise AssertionError(f"sinusoidal_encoding must return a tensor, got {type(pe).__name__}.")
    return pe


def loop_oracle(T, d_model):
    """The paper's formula, one entry at a time, in float64."""
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    for pos in range(T):
        for dim in range(d_model):
            two_i = dim - dim % 2                      # both dims of a pair share the exponent 2i
            angle = pos / 10000 ** (two_i / d_model)
            pe[pos, dim] = math.sin(angle) if dim % 2 == 0 else math.cos(angle)
    return pe


def test_shape_and_dtype():
    pe = encode(10, 16)
    assert tuple(pe.shape) == (10, 16), f"sinusoidal_encoding(10, 16) has shape {tuple(pe.shape)}, expected (T, d_model) = (10, 16)."
    assert pe.dtype == torch.float32, f"the encoding has dtype {pe.dtype}, expected torch.float32."


def test_matches_the_formula_entry_by_entry():
    T, d = 50, 32
    pe = encode(T, d)
    assert_tensor_close(pe, loop_oracle(T, d).float(), atol=1e-5,
                        name="sinusoidal_encoding(50, 32) (even dims: sin, odd dims: cos, angle pos / 10000^(2i/d_model))")


def test_values_stay_between_minus_one_and_one():
    pe = encode(200, 64)
    assert bool(torch.isfinite(pe).all()), "the encoding contains NaN or inf values."
    low, high = pe.min().item(), pe.max().item()
    assert -1.0 <= low and high <= 1.0, (f"sines and cosines lie in [-1, 1], but your values range from {low:.3g} to {high:.3g}.")


def test_shifting_by_k_positions_is_a_linear_map():
    # PE[pos + k] = PE[pos] @ M for one fixed matrix M (a rotation of every (sin, cos) pair).
    T, d, k = 60, 16, 5
    pe = encode(T + k, d).double()
    X, Y = pe[:T], pe[k:T + k]                         # (T, d) each: rows pos and pos + k
    M = torch.linalg.lstsq(X, Y).solution              # best linear map from X to Y
    residual = (X @ M - Y).abs().max().item()
    assert residual < 1e-3, (
        f"PE[pos + {k}] should be a linear function of PE[pos] (each (sin, cos) pair rotates by a fixed angle), "
        f"but the best linear fit leaves an error of {residual:.3g}. Check that each even dim 2i and odd dim 2i+1 "
        "share the same frequency.")


def test_heatmap_of_the_encoding():
    T, d = 64, 32
    pe = encode(T, d)
    if tuple(pe.shape) == (T, d) and bool(torch.isfinite(pe).all()):
        # rows: positions, columns: dimensions; fast stripes on the left, slow ones on the right
        artifacts().heatmap("positional encoding (rows: position, columns: dimension)", pe.detach(),
                            x_labels=[str(i) for i in range(d)], y_labels=[str(p) for p in range(T)])
    assert_tensor_close(pe, loop_oracle(T, d).float(), atol=1e-5, name="sinusoidal_encoding(64, 32)")
