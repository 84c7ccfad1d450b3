"""Hidden tests for the single neuron: edge cases, run only on *Submit*."""
import torch

from course_harness import assert_tensor_close, get_function

NEURON = 'neuron(x: torch.Tensor, w: torch.Tensor, b, activation: str = "sigmoid") -> torch.Tensor'
GRAD = "neuron_grad(x: torch.Tensor, w: torch.Tensor, b) -> tuple[torch.Tensor, torch.Tensor]"


def autograd_reference(x, w, b):
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    torch.sigmoid(x @ w + b).sum().backward()
    return w.grad, b.grad


def call_grad(x, w, b):
    result = get_function("neuron_grad", GRAD)(x, w, b)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError(f"neuron_grad must return a pair (dw, db), but it returned {type(result).__name__}.")
    return result


def test_float64_inputs_give_float64_outputs_and_gradients():
    neuron = get_function("neuron", NEURON)
    x, w, b = (torch.randn(7, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64),
               torch.tensor(0.25, dtype=torch.float64))
    for activation, reference in (("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu)):
        assert_tensor_close(neuron(x, w, b, activation), reference(x @ w + b), atol=1e-12, rtol=1e-10,
                            name=f'neuron(x, w, b, "{activation}") in float64')
    dw_expected, db_expected = autograd_reference(x, w, b)
    dw, db = call_grad(x, w, b)
    assert_tensor_close(dw, dw_expected, atol=1e-12, rtol=1e-10, name="dw in float64")
    assert_tensor_close(db, db_expected, atol=1e-12, rtol=1e-10, name="db in float64")


def test_bias_may_be_a_python_float():
    neuron = get_function("neuron", NEURON)
    x, w = torch.randn(5, 3), torch.randn(3)
    assert_tensor_close(neuron(x, w, -1.5, "identity"), x @ w - 1.5, atol=1e-6,
                        name='neuron(x, w, -1.5, "identity") with a float bias')
    assert_tensor_close(neuron(x, w, 0.0), torch.sigmoid(x @ w), atol=1e-6, name="neuron(x, w, 0.0) with a float bias")


def test_single_sample_and_single_feature():
    neuron = get_function("neuron", NEURON)
    x, w, b = torch.tensor([[2.0]]), torch.tensor([-3.0]), torch.tensor(1.0)  # (N=1, D=1)
    assert_tensor_close(neuron(x, w, b, "relu"), torch.tensor([0.0]), atol=1e-7,
                        name='neuron([[2.]], [-3.], 1., "relu"), where z = -5')
    dw_expected, db_expected = autograd_reference(x, w, b)
    dw, db = call_grad(x, w, b)
    assert_tensor_close(dw, dw_expected, atol=1e-6, name="dw for one sample with one feature")
    assert_tensor_close(db, db_expected, atol=1e-6, name="db for one sample with one feature")


def test_gradient_of_saturated_neurons_is_finite_and_tiny():
    # z around ±60 and ±100: sigmoid is 0 or 1 to float32 precision, and so its slope is (almost) 0.
    # (exp(100) overflows float32: a formula like exp(-z) / (1 + exp(-z))² gives inf / inf = NaN there.)
    x = torch.tensor([[30.0, 30.0], [-30.0, -30.0], [0.5, -0.5], [50.0, 50.0], [-50.0, -50.0]])
    w, b = torch.tensor([1.0, 1.0]), torch.tensor(0.0)
    dw_expected, db_expected = autograd_reference(x, w, b)
    dw, db = call_grad(x, w, b)
    assert_tensor_close(dw, dw_expected, atol=1e-6, name="dw when four of the five neurons are saturated (z = 60, -60, 100, -100)")
    assert_tensor_close(db, db_expected, atol=1e-6, name="db when four of the five neurons are saturated (z = 60, -60, 100, -100)")


def test_gradients_are_summed_over_a_large_batch():
    x, w, b = torch.randn(500, 6), torch.randn(6) * 0.1, torch.tensor(0.0)
    dw_expected, db_expected = autograd_reference(x, w, b)
    dw, db = call_grad(x, w, b)
    assert_tensor_close(db, db_expected, atol=1e-3, rtol=1e-5,
                        name="db for a batch of 500 (the sum, not the mean, of the per-sample slopes)")
    assert_tensor_close(dw, dw_expected, atol=1e-3, rtol=1e-5, name="dw for a batch of 500")
