"""Hidden tests for backpropagation by hand: edge cases, run only on *Submit*."""
import math

import torch
import torch.nn.functional as F

from course_harness import assert_tensor_close, get_function

FORWARD = "forward(x: torch.Tensor, y: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]"
BACKWARD = "backward(cache: dict) -> dict[str, torch.Tensor]"
NAMES = ("W1", "b1", "W2", "b2")


def make_params(D, H, O, dtype=torch.float64):
    return {"W1": torch.randn(H, D, dtype=dtype) / math.sqrt(D), "b1": torch.randn(H, dtype=dtype) * 0.1,
            "W2": torch.randn(O, H, dtype=dtype) / math.sqrt(H), "b2": torch.randn(O, dtype=dtype) * 0.1}


def reference_loss(x, y, params):
    h = torch.tanh(x @ params["W1"].T + params["b1"])
    return F.mse_loss(h @ params["W2"].T + params["b2"], y)


def autograd_grads(x, y, params):
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    grads = torch.autograd.grad(reference_loss(x, y, leaves), [leaves[k] for k in NAMES])
    return dict(zip(NAMES, grads))


def run(x, y, params):
    result = get_function("forward", FORWARD)(x, y, params)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"forward must return a pair (loss, cache), but it returned {type(result).__name__}.")
    grads = get_function("backward", BACKWARD)(result[1])
    if not isinstance(grads, dict) or any(k not in grads for k in NAMES):
        raise AssertionError("backward must return a dict with the keys 'W1', 'b1', 'W2', 'b2'.")
    return result[0], result[1], grads


def check_against_autograd(D, H, O, N, what):
    params = make_params(D, H, O)
    x, y = torch.randn(N, D, dtype=torch.float64), torch.randn(N, O, dtype=torch.float64)
    expected = autograd_grads(x, y, params)
    _, _, grads = run(x, y, params)
    for name in NAMES:
        assert_tensor_close(grads[name], expected[name], atol=1e-10, rtol=1e-8, name=f"dL/d{name} {what}")


def test_a_batch_of_one_sample():
    check_against_autograd(D=4, H=5, O=3, N=1, what="for a batch of one sample (N=1)")


def test_other_widths_including_a_single_output():
    check_against_autograd(D=7, H=13, O=1, N=9, what="for D=7, H=13, O=1")
    check_against_autograd(D=2, H=3, O=5, N=4, what="for D=2, H=3, O=5 (more outputs than hidden units)")


def test_single_entries_agree_with_finite_differences():
    params = make_params(3, 4, 2)
    x, y = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    _, _, grads = run(x, y, params)
    eps = 1e-6
    for name, index in (("W1", (2, 1)), ("b1", (3,)), ("W2", (1, 0)), ("b2", (1,))):
        plus = {k: v.clone() for k, v in params.items()}
        minus = {k: v.clone() for k, v in params.items()}
        plus[name][index] += eps
        minus[name][index] -= eps
        numeric = (reference_loss(x, y, plus) - reference_loss(x, y, minus)) / (2 * eps)  # central difference
        assert_tensor_close(grads[name][index], numeric, atol=1e-8, rtol=1e-6,
                            name=f"dL/d{name}[{', '.join(map(str, index))}] against a central finite difference")


def test_backward_can_run_twice_and_leaves_the_parameters_alone():
    params = make_params(3, 4, 2)
    originals = {k: v.clone() for k, v in params.items()}
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    _, cache, first = run(x, y, params)
    second = get_function("backward", BACKWARD)(cache)
    for name in NAMES:
        assert_tensor_close(second[name], first[name], atol=0, rtol=0,
                            name=f"dL/d{name} from a second call of backward on the same cache")
        assert_tensor_close(params[name], originals[name], atol=0, rtol=0,
                            name=f"params[{name!r}] after forward and backward (it must not change in place)")


def test_float32_inputs_give_float32_gradients():
    params = make_params(3, 4, 2, dtype=torch.float32)
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    expected = autograd_grads(x, y, params)
    _, _, grads = run(x, y, params)
    for name in NAMES:
        assert_tensor_close(grads[name], expected[name], atol=1e-6, rtol=1e-5, name=f"dL/d{name} in float32")
