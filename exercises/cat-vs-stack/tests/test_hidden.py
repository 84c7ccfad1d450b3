"""Hidden tests for concatenating and stacking: edge cases, run only on *Submit*."""
import re

import pytest
import torch
import torch.nn.utils.rnn as rnn

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "stack_batch": "stack_batch(tensors: list[torch.Tensor]) -> torch.Tensor",
    "concat_features": "concat_features(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor",
    "pad_and_stack": "pad_and_stack(seqs: list[torch.Tensor], pad_value: float = 0) "
                     "-> tuple[torch.Tensor, torch.Tensor]",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def value_error_message(call, what):
    """Run ``call()``; return the ValueError's message, or fail saying what was expected instead."""
    try:
        call()
    except ValueError as exc:
        return str(exc)
    except Exception as exc:
        raise AssertionError(f"{what} should raise ValueError, but it raised {type(exc).__name__}: {exc}. "
                             "Check the input yourself and raise ValueError with a clear message.") from None
    raise AssertionError(f"{what} should raise ValueError, but it returned normally.")


def test_stack_batch_of_one_tensor_and_of_scalars():
    stack_batch = fn("stack_batch")
    single = torch.randn(2, 3)
    assert_tensor_close(stack_batch([single]), single[None], atol=0, rtol=0,
                        name="stack_batch of a single (2, 3) tensor (expected shape (1, 2, 3))")
    scalars = [torch.tensor(1.5), torch.tensor(-2.0), torch.tensor(7.0)]
    assert_tensor_close(stack_batch(scalars), torch.tensor([1.5, -2.0, 7.0]), atol=0, rtol=0,
                        name="stack_batch of three 0-d tensors")


def test_stack_batch_reports_a_different_number_of_dimensions():
    stack_batch = fn("stack_batch")
    message = value_error_message(lambda: stack_batch([torch.zeros(4), torch.zeros(4, 1)]),
                                  "stack_batch of shapes (4,) and (4, 1)")
    assert "(4, 1)" in message or "[4, 1]" in message, (
        f"stacking shapes (4,) and (4, 1) should raise a ValueError naming the shape (4, 1); got {message!r}")
    assert re.search(r"\b1\b", re.sub(r"[(\[][^)\]]*[)\]]", " ", message)), (
        f"the message should name the index of the mismatching tensor (1); got {message!r}")


@pytest.mark.parametrize("name", ["stack_batch", "pad_and_stack"])
def test_empty_list_raises_value_error(name):
    function = fn(name)
    value_error_message(lambda: function([]), f"{name}([]) (an empty list)")


def test_concat_features_of_vectors_keeps_a_before_b():
    concat_features = fn("concat_features")
    out = concat_features(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0]))
    assert_tensor_close(out, torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), atol=0, rtol=0,
                        name="concat_features([1, 2], [3, 4, 5])")
    a, b = torch.randn(2, 3, 4, 1), torch.randn(2, 3, 4, 6)
    assert_tensor_close(concat_features(a, b), torch.cat([a, b], dim=-1), atol=0, rtol=0,
                        name="concat_features of (2, 3, 4, 1) and (2, 3, 4, 6)")


def test_pad_and_stack_keeps_integer_ids_and_allows_empty_sequences():
    pad_and_stack = fn("pad_and_stack")
    seqs = [torch.tensor([4, 8]), torch.tensor([], dtype=torch.int64), torch.tensor([1, 2, 3, 9])]
    padded, mask = pad_and_stack(seqs, pad_value=0)
    assert_tensor_close(padded, rnn.pad_sequence(seqs, batch_first=True, padding_value=0), atol=0, rtol=0,
                        name="padded for int64 sequences of lengths 2, 0, 4")
    expected_mask = torch.tensor([[True, True, False, False], [False] * 4, [True] * 4])
    assert_tensor_close(mask, expected_mask, atol=0, rtol=0, name="mask for lengths 2, 0, 4")
    for dtype, pad in ((torch.float64, -1.0), (torch.int32, -1)):
        seqs = [torch.arange(3).to(dtype), torch.arange(5).to(dtype)]
        padded, _ = pad_and_stack(seqs, pad_value=pad)
        assert_tensor_close(padded, rnn.pad_sequence(seqs, batch_first=True, padding_value=pad), atol=0, rtol=0,
                            name=f"padded for {dtype} sequences (it should keep the dtype of seqs[0]: "
                                 "pass dtype= to torch.full)")
    padded, mask = pad_and_stack([torch.tensor([], dtype=torch.int64)] * 2)
    assert tuple(padded.shape) == (2, 0) and tuple(mask.shape) == (2, 0), (
        f"two empty sequences should give padded and mask of shape (2, 0), got {tuple(padded.shape)} "
        f"and {tuple(mask.shape)}.")


def test_gradients_flow_through_pad_and_stack():
    seqs = [torch.randn(3, dtype=torch.float64, requires_grad=True),
            torch.randn(1, dtype=torch.float64, requires_grad=True)]
    padded, _ = fn("pad_and_stack")(seqs, pad_value=0.0)
    if not isinstance(padded, torch.Tensor) or padded.grad_fn is None:
        raise AssertionError("padded is not connected to the sequences in autograd: copy them in with slice "
                             "assignment or torch.cat (not .tolist(), .item() or torch.tensor(...)).")
    weights = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64)
    grads = torch.autograd.grad((padded * weights).sum(), seqs)
    assert_tensor_close(grads[0], torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), atol=1e-12,
                        name="the gradient reaching sequence 0 (length 3)")
    assert_tensor_close(grads[1], torch.tensor([4.0], dtype=torch.float64), atol=1e-12,
                        name="the gradient reaching sequence 1 (length 1)")
