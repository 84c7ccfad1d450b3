"""Public tests for LayerNorm and BatchNorm1d: run by *Run* and shown to the learner."""
import ast
import inspect

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function, submission

LN_SIGNATURE = ("class LayerNorm(nn.Module) with __init__(self, normalized_shape, eps: float = 1e-5, "
                "elementwise_affine: bool = True)")
BN_SIGNATURE = ("class BatchNorm1d(nn.Module) with __init__(self, num_features: int, eps: float = 1e-5, "
                "momentum: float = 0.1, affine: bool = True)")
# Attribute or imported names that would hand the work to PyTorch's own normalisation.
FORBIDDEN = {"layer_norm", "batch_norm", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "native_layer_norm",
             "native_batch_norm", "instance_norm", "group_norm", "GroupNorm", "InstanceNorm1d", "RMSNorm", "rms_norm",
             "_BatchNorm", "_NormBase", "LazyBatchNorm1d", "SyncBatchNorm"}


def make(kind, *args, **kwargs):
    cls = get_function(kind, LN_SIGNATURE if kind == "LayerNorm" else BN_SIGNATURE)
    module = cls(*args, **kwargs)
    if not isinstance(module, nn.Module):
        raise AssertionError(f"{kind} must subclass nn.Module and call super().__init__() first.")
    return module


def copy_affine(source, target, what):
    """Give both layers the same random gamma and beta."""
    with torch.no_grad():
        for name in ("weight", "bias"):
            mine = getattr(target, name, None)
            if not isinstance(mine, nn.Parameter):
                raise AssertionError(f"{what}.{name} should be an nn.Parameter, got {type(mine).__name__}.")
            if mine.shape != getattr(source, name).shape:
                raise AssertionError(f"{what}.{name} has shape {tuple(mine.shape)}, "
                                     f"expected {tuple(getattr(source, name).shape)}.")
            getattr(source, name).copy_(torch.randn_like(mine))
            mine.copy_(getattr(source, name))


def test_layernorm_matches_nn_layernorm():
    reference, mine = nn.LayerNorm(8), make("LayerNorm", 8)
    copy_affine(reference, mine, "LayerNorm(8)")
    x = torch.randn(4, 6, 8) * 3 + 1  # (B, T, C)
    assert_tensor_close(mine(x), reference(x), atol=1e-5, name="LayerNorm(8)(x) for x of shape (4, 6, 8)")


def test_layernorm_gradients_match():
    reference, mine = nn.LayerNorm(5), make("LayerNorm", 5)
    copy_affine(reference, mine, "LayerNorm(5)")
    x = torch.randn(7, 5)
    upstream = torch.randn(7, 5)
    x_ref, x_mine = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    (reference(x_ref) * upstream).sum().backward()
    (mine(x_mine) * upstream).sum().backward()
    assert_tensor_close(x_mine.grad, x_ref.grad, atol=1e-5, name="the gradient of the input of LayerNorm")
    assert_tensor_close(mine.weight.grad, reference.weight.grad, atol=1e-5, name="the gradient of LayerNorm.weight")
    assert_tensor_close(mine.bias.grad, reference.bias.grad, atol=1e-5, name="the gradient of LayerNorm.bias")


def test_batchnorm_training_output_and_running_statistics_match():
    reference, mine = nn.BatchNorm1d(4), make("BatchNorm1d", 4)
    copy_affine(reference, mine, "BatchNorm1d(4)")
    for step in range(1, 4):
        x = torch.randn(16, 4) * torch.tensor([1.0, 2.0, 0.5, 3.0]) + torch.tensor([0.0, 5.0, -2.0, 1.0])
        assert_tensor_close(mine(x), reference(x), atol=1e-5,
                            name=f"BatchNorm1d(4)(x) in training mode, batch {step} (normalised with the batch mean "
                                 "and the biased batch variance)")
        for name in ("running_mean", "running_var"):
            assert_tensor_close(getattr(mine, name, None), getattr(reference, name), atol=1e-5,
                                name=f"{name} after {step} training batch(es) (momentum 0.1; the running variance "
                                     "uses the unbiased batch variance)")


def test_batchnorm_eval_mode_uses_the_running_statistics():
    reference, mine = nn.BatchNorm1d(3), make("BatchNorm1d", 3)
    copy_affine(reference, mine, "BatchNorm1d(3)")
    for _ in range(5):
        x = torch.randn(32, 3) * 2 + 4
        reference(x), mine(x)
    reference.eval(), mine.eval()
    x = torch.randn(6, 3) * 2 + 4
    before = mine.running_mean.clone()
    assert_tensor_close(mine(x), reference(x), atol=1e-5,
                        name="BatchNorm1d(3)(x) in eval mode (normalised with running_mean and running_var)")
    assert_tensor_close(mine.running_mean, before, atol=0, rtol=0,
                        name="running_mean after a forward pass in eval mode (it must not change)")


def test_does_not_use_built_in_normalisation(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):
        tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torch") and any(
                a.name in FORBIDDEN for a in node.names):
            found.append((node.lineno, f"from {node.module} import ..."))
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in sorted(set(found)))
        pytest.fail("Write the normalisation yourself: F.layer_norm, F.batch_norm, nn.LayerNorm, nn.BatchNorm1d and "
                    f"the other built-in normalisation layers are not allowed. Found: {where}. "
                    "Use mean, var, sqrt and arithmetic.")

    def forbidden(*args, **kwargs):
        raise AssertionError("your code called PyTorch's built-in layer_norm or batch_norm; compute the mean and "
                             "variance yourself instead.")

    for owner, name in ((F, "layer_norm"), (F, "batch_norm"), (torch, "layer_norm"), (torch, "batch_norm"),
                        (torch, "native_layer_norm"), (torch, "native_batch_norm")):
        monkeypatch.setattr(owner, name, forbidden)
    make("LayerNorm", 4)(torch.randn(2, 4))
    bn = make("BatchNorm1d", 4)
    bn(torch.randn(5, 4))
    bn.eval()
    bn(torch.randn(5, 4))
