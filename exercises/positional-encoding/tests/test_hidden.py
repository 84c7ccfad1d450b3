"""Hidden tests for sinusoidal positional encoding: odd widths, long ranges, first and last pairs."""
import math

import torch

from course_harness import assert_tensor_close, get_function

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
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    for pos in range(T):
        for dim in range(d_model):
            two_i = dim - dim % 2
            angle = pos / 10000 ** (two_i / d_model)
            pe[pos, dim] = math.sin(angle) if dim % 2 == 0 else math.cos(angle)
    return pe


def test_odd_d_model_ends_with_a_sine_column():
    pe = encode(12, 7)
    assert_tensor_close(pe, loop_oracle(12, 7).float(), atol=1e-5,
                        name="sinusoidal_encoding(12, 7) (odd d_model: the last column is a sine)")


def test_first_pair_has_frequency_one():
    pe = encode(20, 8)
    pos = torch.arange(20, dtype=torch.float32)
    assert_tensor_close(pe[:, 0], torch.sin(pos), atol=1e-5, name="column 0 (should be sin(pos))")
    assert_tensor_close(pe[:, 1], torch.cos(pos), atol=1e-5, name="column 1 (should be cos(pos))")


def test_long_sequences_stay_accurate():
    T, d = 512, 64
    pe = encode(T, d)
    expected = loop_oracle(T, d).float()
    # float32 angles near 500 carry rounding errors of a few 1e-5; allow for that
    assert_tensor_close(pe, expected, atol=2e-4, name="sinusoidal_encoding(512, 64)")


def test_single_position_and_width_two():
    assert_tensor_close(encode(1, 4), torch.tensor([[0.0, 1.0, 0.0, 1.0]]), atol=1e-6,
                        name="sinusoidal_encoding(1, 4) (position 0: sin 0 = 0, cos 0 = 1)")
    assert_tensor_close(encode(3, 2), loop_oracle(3, 2).float(), atol=1e-6, name="sinusoidal_encoding(3, 2)")


def test_slowest_pair_changes_least():
    T, d = 100, 32
    pe = encode(T, d).double()
    change = (pe[1:] - pe[:-1]).abs().mean(dim=0)      # (d,): how much each dim moves per step
    assert change[0] > change[-2] * 10, (
        "dimension 0 should oscillate fastest (frequency 1) and the last pairs slowest (frequency near 1/10000); "
        f"your mean per-step change is {change[0]:.3g} for dim 0 and {change[-2]:.3g} for dim {d - 2}. "
        "Check the sign of the exponent: the angle is pos / 10000^(2i/d_model).")
    assert_tensor_close(pe.float(), loop_oracle(T, d).float(), atol=1e-4, name="sinusoidal_encoding(100, 32)")
