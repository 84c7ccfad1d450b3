"""Public tests for the single neuron: run by *Run* and shown to the learner."""
import ast
import inspect

import pytest
import torch

from course_harness import assert_tensor_close, get_function, submission

NEURON = 'neuron(x: torch.Tensor, w: torch.Tensor, b, activation: str = "sigmoid") -> torch.Tensor'
GRAD = "neuron_grad(x: torch.Tensor, w: torch.Tensor, b) -> tuple[torch.Tensor, torch.Tensor]"
# Attribute names that would let autograd compute the gradient instead of your formula.
AUTOGRAD_NAMES = {"backward", "autograd", "grad", "func", "vjp", "jacrev", "jacfwd", "jacobian", "functional_call"}


def autograd_reference(x, w, b):
    """dL/dw and dL/db of L = sum(sigmoid(x @ w + b)), computed by autograd."""
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    torch.sigmoid(x @ w + b).sum().backward()
    return w.grad, b.grad


def call_grad(x, w, b):
    """Call the learner's neuron_grad and check that it returns a pair of tensors."""
    result = get_function("neuron_grad", GRAD)(x, w, b)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"neuron_grad must return a pair (dw, db), but it returned {type(result).__name__}.")
    return result


def test_sigmoid_neuron_matches_the_formula_on_a_batch():
    neuron = get_function("neuron", NEURON)
    x, w, b = torch.randn(8, 5), torch.randn(5), torch.tensor(0.3)  # (N, D), (D,), ()
    assert_tensor_close(neuron(x, w, b), torch.sigmoid(x @ w + b), atol=1e-6,
                        name="neuron(x, w, b) for x of shape (8, 5)")
    assert_tensor_close(neuron(x, w, b, activation="sigmoid"), torch.sigmoid(x @ w + b), atol=1e-6,
                        name='neuron(x, w, b, activation="sigmoid")')


@pytest.mark.parametrize("activation, reference", [
    ("tanh", torch.tanh), ("relu", torch.relu), ("identity", lambda z: z),
])
def test_every_activation_name_applies_its_function(activation, reference):
    neuron = get_function("neuron", NEURON)
    x, w, b = torch.randn(6, 4), torch.randn(4), torch.tensor(-0.2)
    assert_tensor_close(neuron(x, w, b, activation=activation), reference(x @ w + b), atol=1e-6,
                        name=f'neuron(x, w, b, activation="{activation}")')


def test_unknown_activation_raises_value_error_naming_the_choices():
    neuron = get_function("neuron", NEURON)
    x, w = torch.randn(3, 2), torch.randn(2)
    with pytest.raises(ValueError) as info:
        neuron(x, w, 0.0, activation="softsign")
    message = str(info.value)
    missing = [name for name in ("sigmoid", "tanh", "relu", "identity") if name not in message]
    assert not missing, (f'the ValueError for activation="softsign" should list the valid names, but its message '
                         f"{message!r} does not mention {', '.join(missing)}.")


def test_hand_derived_gradient_matches_autograd():
    x, w, b = torch.randn(10, 3), torch.randn(3), torch.tensor(0.5)
    dw_expected, db_expected = autograd_reference(x, w, b)
    dw, db = call_grad(x, w, b)
    assert_tensor_close(dw, dw_expected, atol=1e-5, name="dw, the gradient of sum(sigmoid(x @ w + b)) w.r.t. w")
    assert_tensor_close(db, db_expected, atol=1e-5, name="db, the gradient of sum(sigmoid(x @ w + b)) w.r.t. b")


def test_gradient_is_derived_by_hand_without_autograd(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):
        tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in AUTOGRAD_NAMES:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and (
                (node.module or "").startswith(("torch.autograd", "torch.func"))
                or any(a.name in AUTOGRAD_NAMES for a in node.names)):
            found.append((node.lineno, f"from {node.module} import ..."))
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in sorted(set(found)))
        pytest.fail("neuron_grad must apply the chain rule by hand, so .backward(), torch.autograd and torch.func "
                    f"are not allowed anywhere in your code. Found: {where}. "
                    "Use sigmoid'(z) = sigmoid(z) * (1 - sigmoid(z)) instead.")

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(1)
        raise AssertionError("neuron_grad called autograd (.backward() or torch.autograd.grad); "
                             "compute the gradient from the formula instead.")

    x, w, b = torch.randn(4, 3), torch.randn(3), torch.tensor(0.1)
    try:
        call_grad(x, w, b)
    except Exception:  # noqa: BLE001 - it fails even with autograd available: the other tests report that
        return
    monkeypatch.setattr(torch.Tensor, "backward", forbidden)
    monkeypatch.setattr(torch.autograd, "backward", forbidden)
    monkeypatch.setattr(torch.autograd, "grad", forbidden)
    try:
        with torch.no_grad():  # your formula needs no autograd graph at all
            call_grad(x, w, b)
    except Exception as exc:  # noqa: BLE001
        if calls:
            raise AssertionError("neuron_grad called autograd (.backward() or torch.autograd.grad); "
                                 "compute the gradient from the formula instead.") from None
        raise AssertionError(f"neuron_grad works normally but fails with autograd switched off (torch.no_grad()): "
                             f"{type(exc).__name__}: {exc}. Compute the gradient from the formula, without autograd."
                             ) from None
    monkeypatch.undo()
    assert not calls, ("neuron_grad called autograd (.backward() or torch.autograd.grad); "
                       "compute the gradient from the formula instead.")
    # This test is a rule (breaking it scores 0), so it checks only the method; the values are checked elsewhere.
