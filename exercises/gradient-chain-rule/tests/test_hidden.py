"""Hidden tests for the gradients and chain rule exercise: edge cases, run only on *Submit*."""
import torch

from course_harness import assert_tensor_close, get_function

GRADIENT = "gradient(f, x: torch.Tensor) -> torch.Tensor"
CHAIN = "chain_rule_grad(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor"


def autograd_reference(x, W, b):
    xg = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad((torch.tanh(xg @ W.T + b) ** 2).sum(), xg)
    return grad


def test_chain_rule_grad_for_a_batch_of_inputs():
    chain_rule_grad = get_function("chain_rule_grad", CHAIN)
    x, W, b = torch.randn(4, 5), torch.randn(3, 5) * 0.5, torch.randn(3)  # (B, n), (m, n), (m,)
    assert_tensor_close(chain_rule_grad(x, W, b), autograd_reference(x, W, b), atol=1e-5,
                        name="chain_rule_grad for a batch x of shape (4, 5) (one gradient row per input)")


def test_chain_rule_grad_in_float64_is_precise():
    chain_rule_grad = get_function("chain_rule_grad", CHAIN)
    x, W, b = (torch.randn(7, dtype=torch.float64), torch.randn(5, 7, dtype=torch.float64),
               torch.randn(5, dtype=torch.float64))
    assert_tensor_close(chain_rule_grad(x, W, b), autograd_reference(x, W, b), atol=1e-12, rtol=1e-10,
                        name="chain_rule_grad in float64 (keep the dtype; do not build float32 tensors)")


def test_zero_input():
    chain_rule_grad = get_function("chain_rule_grad", CHAIN)
    W = torch.randn(3, 4, dtype=torch.float64)
    x = torch.zeros(4, dtype=torch.float64)
    assert_tensor_close(chain_rule_grad(x, W, torch.zeros(3, dtype=torch.float64)), torch.zeros(4, dtype=torch.float64),
                        atol=1e-15, name="chain_rule_grad at x = 0 with b = 0 (tanh(0) = 0, so L is at its minimum)")
    b = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    assert_tensor_close(chain_rule_grad(x, W, b), autograd_reference(x, W, b), atol=1e-12,
                        name="chain_rule_grad at x = 0 with a non-zero b")


def test_gradient_of_a_matrix_shaped_input():
    gradient = get_function("gradient", GRADIENT)
    X = torch.randn(3, 4, dtype=torch.float64)  # (3, 4): the gradient has the same shape
    assert_tensor_close(gradient(lambda M: (M ** 2).sum() + M.sum(), X), 2 * X + 1, atol=1e-12,
                        name="gradient of f(X) = Σ X_ij² + Σ X_ij for X of shape (3, 4) (should be 2X + 1)")
    x = torch.zeros(6)
    assert_tensor_close(gradient(lambda v: torch.cos(v).sum(), x), torch.zeros(6), atol=1e-7,
                        name="gradient of Σ cos(x_i) at x = 0")


def test_gradient_rejects_a_function_that_is_not_scalar():
    gradient = get_function("gradient", GRADIENT)
    try:
        gradient(lambda v: v ** 2, torch.randn(3))
    except ValueError:
        return
    except Exception as exc:  # noqa: BLE001 - report what was raised instead
        raise AssertionError(f"gradient(f, x) with f(x) of shape (3,) raised {type(exc).__name__}: {exc}; "
                             "it should raise ValueError (check f(x).numel() first).") from exc
    raise AssertionError("gradient(f, x) returned a value although f(x) has shape (3,), not one element; "
                         "it should raise ValueError.")


def test_gradient_leaves_x_untouched():
    gradient = get_function("gradient", GRADIENT)
    x = torch.randn(5)
    before = x.clone()
    gradient(lambda v: (v ** 3).sum(), x)
    assert_tensor_close(x, before, atol=0, rtol=0, name="x after gradient(f, x) (it must not change)")
    assert not x.requires_grad, "gradient switched on requires_grad for the caller's x; work on x.detach().clone()."
    w = torch.randn(5, requires_grad=True)
    g = gradient(lambda v: (v ** 3).sum(), w)
    assert w.grad is None, "gradient wrote into x.grad of the caller's tensor; use torch.autograd.grad on a copy."
    assert_tensor_close(g, 3 * w.detach() ** 2, atol=1e-5, name="gradient of Σ x³ for an x that requires grad")
