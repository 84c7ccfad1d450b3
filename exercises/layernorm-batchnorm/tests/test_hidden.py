"""Hidden tests for LayerNorm and BatchNorm1d: edge cases, run only on *Submit*."""
import torch
from torch import nn

from course_harness import assert_tensor_close, get_function

LN_SIGNATURE = ("class LayerNorm(nn.Module) with __init__(self, normalized_shape, eps: float = 1e-5, "
                "elementwise_affine: bool = True)")
BN_SIGNATURE = ("class BatchNorm1d(nn.Module) with __init__(self, num_features: int, eps: float = 1e-5, "
                "momentum: float = 0.1, affine: bool = True)")


def make(kind, *args, **kwargs):
    module = get_function(kind, LN_SIGNATURE if kind == "LayerNorm" else BN_SIGNATURE)(*args, **kwargs)
    if not isinstance(module, nn.Module):
        raise AssertionError(f"{kind} must subclass nn.Module and call super().__init__() first.")
    return module


def copy_affine(source, target):
    with torch.no_grad():
        for name in ("weight", "bias"):
            getattr(source, name).copy_(torch.randn_like(getattr(source, name)))
            getattr(target, name).copy_(getattr(source, name))


def test_batchnorm_gradients_flow_through_the_batch_statistics():
    reference, mine = nn.BatchNorm1d(4), make("BatchNorm1d", 4)
    copy_affine(reference, mine)
    x = torch.randn(10, 4) * 2 + 1
    upstream = torch.randn(10, 4)
    x_ref, x_mine = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    (reference(x_ref) * upstream).sum().backward()
    (mine(x_mine) * upstream).sum().backward()
    assert_tensor_close(x_mine.grad, x_ref.grad, atol=1e-5,
                        name="the gradient of the input of BatchNorm1d in training mode (the mean and variance "
                             "depend on x too: do not detach them)")
    assert_tensor_close(mine.weight.grad, reference.weight.grad, atol=1e-5, name="the gradient of BatchNorm1d.weight")
    assert_tensor_close(mine.bias.grad, reference.bias.grad, atol=1e-5, name="the gradient of BatchNorm1d.bias")


def test_batchnorm_on_sequences_normalises_over_batch_and_length():
    reference, mine = nn.BatchNorm1d(3), make("BatchNorm1d", 3)
    copy_affine(reference, mine)
    for step in range(1, 3):
        x = torch.randn(4, 3, 7) * 2 + 3  # (N, C, L)
        assert_tensor_close(mine(x), reference(x), atol=1e-5,
                            name=f"BatchNorm1d(3)(x) for x of shape (4, 3, 7), batch {step}")
        assert_tensor_close(mine.running_var, reference.running_var, atol=1e-5,
                            name=f"running_var after {step} batch(es) of shape (N, C, L) = (4, 3, 7) "
                                 "(n = N·L = 28 values per channel)")
    reference.eval(), mine.eval()
    x = torch.randn(2, 3, 5)
    assert_tensor_close(mine(x), reference(x), atol=1e-5, name="eval-mode output for x of shape (2, 3, 5)")


def test_custom_eps_and_momentum_are_used():
    reference = nn.BatchNorm1d(5, eps=1e-2, momentum=0.3)
    mine = make("BatchNorm1d", 5, eps=1e-2, momentum=0.3)
    for _ in range(3):
        x = torch.randn(6, 5) * 0.1  # small variance: eps matters
        assert_tensor_close(mine(x), reference(x), atol=1e-5, name="BatchNorm1d(5, eps=1e-2, momentum=0.3)(x)")
    assert_tensor_close(mine.running_mean, reference.running_mean, atol=1e-6,
                        name="running_mean with momentum=0.3 after 3 batches")
    ln_ref, ln_mine = nn.LayerNorm(6, eps=1e-1), make("LayerNorm", 6, eps=1e-1)
    x = torch.randn(3, 6) * 0.3
    x[0] = 2.5  # a constant row: variance 0, only eps keeps it finite
    assert_tensor_close(ln_mine(x), ln_ref(x), atol=1e-5, name="LayerNorm(6, eps=0.1)(x) with a constant row")


def test_without_affine_there_are_no_parameters():
    for kind, reference, mine in (
            ("LayerNorm", nn.LayerNorm(4, elementwise_affine=False), make("LayerNorm", 4, elementwise_affine=False)),
            ("BatchNorm1d", nn.BatchNorm1d(4, affine=False), make("BatchNorm1d", 4, affine=False))):
        count = len(list(mine.parameters()))
        assert count == 0, f"{kind} without affine parameters should have no parameters, but has {count}."
        x = torch.randn(8, 4) * 3
        assert_tensor_close(mine(x), reference(x), atol=1e-5, name=f"{kind}(4) without affine parameters")


def test_layernorm_over_the_last_two_dimensions():
    reference, mine = nn.LayerNorm((5, 6)), make("LayerNorm", (5, 6))
    copy_affine(reference, mine)
    x = torch.randn(3, 5, 6) * 2 - 1
    assert_tensor_close(mine(x), reference(x), atol=1e-5,
                        name="LayerNorm((5, 6))(x) for x of shape (3, 5, 6) (one mean per sample over 30 values)")


def test_running_statistics_are_buffers_without_autograd_history():
    mine = make("BatchNorm1d", 3)
    keys = set(mine.state_dict().keys())
    missing = {"running_mean", "running_var", "weight", "bias"} - keys
    assert not missing, (f"BatchNorm1d.state_dict() lacks {sorted(missing)}: register the running statistics "
                         "with self.register_buffer(...).")
    names = {name for name, _ in mine.named_parameters()}
    assert names == {"weight", "bias"}, (
        f"BatchNorm1d's parameters should be exactly weight and bias, got {sorted(names)}: running statistics are "
        "buffers, not parameters (an optimiser must not train them).")
    x = torch.randn(8, 3, requires_grad=True)
    mine(x).sum().backward()
    for name in ("running_mean", "running_var"):
        value = getattr(mine, name)
        assert value.grad_fn is None and not value.requires_grad, (
            f"{name} carries autograd history after a training step; update it inside `with torch.no_grad():`.")
    mine.eval()
    x = torch.randn(4, 3, requires_grad=True)
    mine(x).sum().backward()  # eval mode must backpropagate through fixed statistics
    assert x.grad is not None, "no gradient reached the input in eval mode."


def test_large_offsets_do_not_break_the_variance():
    # Activations around 1e4 with spread ~1: the one-pass formula E[x²] − E[x]² subtracts two numbers near 1e8,
    # and float32 keeps only ~7 digits of each. The float64 reference shows what the float32 input really means.
    x = torch.randn(4, 3, 16) + 1e4
    expected = nn.LayerNorm(16).double()(x.double())
    assert_tensor_close(make("LayerNorm", 16)(x), expected.float(), atol=2e-2,
                        name="LayerNorm(16)(x) for float32 x ≈ 1e4 ± 1 (compute the variance as the mean of "
                             "(x − mean)², not as E[x²] − E[x]²)")
    x = torch.randn(32, 4) + torch.tensor([1e4, -1e4, 5e3, 0.0])
    reference, mine = nn.BatchNorm1d(4).double(), make("BatchNorm1d", 4)
    expected = reference(x.double())
    assert_tensor_close(mine(x), expected.float(), atol=2e-2,
                        name="BatchNorm1d(4)(x) in training mode for float32 channels around 1e4, -1e4, 5e3 and 0 "
                             "(compute the variance as the mean of (x − mean)², not as E[x²] − E[x]²)")
    assert_tensor_close(mine.running_var, reference.running_var.float(), atol=1e-3, rtol=1e-3,
                        name="running_var after one batch with channels around 1e4")
