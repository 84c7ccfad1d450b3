"""Public tests for concatenating and stacking: run by *Run* and shown to the learner."""
import re

import torch
import torch.nn.utils.rnn as rnn

from course_harness import assert_not_using, assert_tensor_close, get_function

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


def mentions_shape(message, shape):
    inside = ", ".join(str(n) for n in shape)
    return f"({inside})" in message or f"[{inside}]" in message


def mentions_index(message, index):
    without_shapes = re.sub(r"[(\[][^)\]]*[)\]]", " ", message)  # drop "(3, 5)" and "[3, 5]"
    return re.search(rf"\b{index}\b", without_shapes) is not None


def test_stack_batch_adds_a_new_first_dimension():
    tensors = [torch.randn(3, 4) for _ in range(5)]
    assert_tensor_close(fn("stack_batch")(tensors), torch.stack(tensors), atol=0, rtol=0,
                        name="stack_batch of five (3, 4) tensors")


def test_stack_batch_names_the_first_shape_mismatch():
    stack_batch = fn("stack_batch")
    tensors = [torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(3, 5), torch.zeros(6, 4)]
    message = value_error_message(lambda: stack_batch(tensors),
                                  "stack_batch of shapes (3, 4), (3, 4), (3, 4), (3, 5), (6, 4)")
    assert mentions_shape(message, (3, 5)) and mentions_index(message, 3), (
        "tensors 0-2 have shape (3, 4) and tensor 3 has shape (3, 5): the ValueError should name index 3 and its "
        f"shape (3, 5), e.g. 'tensor 3 has shape (3, 5), but tensor 0 has shape (3, 4)'. Your message: {message!r}")
    assert not mentions_shape(message, (6, 4)), (
        f"report the FIRST mismatch (tensor 3), not a later one; your message was: {message!r}")


def test_concat_features_joins_along_the_last_dimension():
    concat_features = fn("concat_features")
    a, b = torch.randn(2, 3), torch.randn(2, 5)
    assert_tensor_close(concat_features(a, b), torch.cat([a, b], dim=-1), atol=0, rtol=0,
                        name="concat_features of (2, 3) and (2, 5)")
    a, b = torch.randn(2, 4, 3), torch.randn(2, 4, 1)
    assert_tensor_close(concat_features(a, b), torch.cat([a, b], dim=-1), atol=0, rtol=0,
                        name="concat_features of (2, 4, 3) and (2, 4, 1)")


def test_does_not_use_pad_sequence(monkeypatch):
    pad_and_stack = fn("pad_and_stack")
    assert_not_using({"pad_sequence", "pack_sequence", "pack_padded_sequence"},
                     "Write the padding yourself (torch.full plus slice assignment); "
                     "torch.nn.utils.rnn.pad_sequence and pack_sequence are not allowed here.")
    calls = []

    def spy(*args, **kwargs):
        calls.append("pad_sequence")
        raise AssertionError("Your pad_and_stack called torch.nn.utils.rnn.pad_sequence, which is not allowed here.")

    monkeypatch.setattr(rnn, "pad_sequence", spy)
    try:
        pad_and_stack([torch.randn(2), torch.randn(4)], pad_value=0.0)
    except Exception:
        pass  # wrong results are the other tests' business; this one only checks the rule
    assert not calls, ("Your pad_and_stack called torch.nn.utils.rnn.pad_sequence, which is not allowed here: "
                       "write the padding yourself (torch.full plus slice assignment).")


def test_pad_and_stack_matches_pad_sequence(monkeypatch):
    pad_and_stack = fn("pad_and_stack")
    seqs = [torch.randn(3), torch.randn(5), torch.randn(1)]
    expected = rnn.pad_sequence(seqs, batch_first=True, padding_value=-2.0)  # computed before switching it off

    def forbidden(*args, **kwargs):
        raise AssertionError("Your pad_and_stack called torch.nn.utils.rnn.pad_sequence, which is not allowed here.")

    monkeypatch.setattr(rnn, "pad_sequence", forbidden)
    result = pad_and_stack(seqs, pad_value=-2.0)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError("pad_and_stack should return a tuple (padded, mask).")
    padded, mask = result
    assert_tensor_close(padded, expected, atol=0, rtol=0, name="padded for sequences of lengths 3, 5, 1")
    expected_mask = torch.tensor([[True] * 3 + [False] * 2, [True] * 5, [True] + [False] * 4])
    assert_tensor_close(mask, expected_mask, atol=0, rtol=0, name="mask for sequences of lengths 3, 5, 1")
