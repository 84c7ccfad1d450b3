"""Public tests for the pre-norm Transformer block: run by *Run* and shown to the learner."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURE = "class TransformerBlock(nn.Module) with __init__(self, d_model: int, n_heads: int, dropout: float = 0.0)"


def module_at(block, path, kind=nn.Linear):
    """block.<path>, checked to exist with the expected type."""
    obj = block
    for part in path.split("."):
        obj = getattr(obj, part, None)
    if not isinstance(obj, kind):
        raise AssertionError(f"TransformerBlock needs `{path}` to be an {kind.__name__} (see the prompt for the "
                             f"attribute names); found {type(obj).__name__}.")
    return obj


def make_block(d_model, n_heads, dropout=0.0):
    """The learner's block with random LayerNorm affine parameters, in eval mode."""
    cls = get_function("TransformerBlock", SIGNATURE)
    block = cls(d_model, n_heads, dropout=dropout)
    for path, kind in (("ln1", nn.LayerNorm), ("ln2", nn.LayerNorm), ("attn.qkv", nn.Linear),
                       ("attn.proj", nn.Linear), ("mlp.fc", nn.Linear), ("mlp.proj", nn.Linear)):
        module_at(block, path, kind)
    with torch.no_grad():  # non-trivial LayerNorm parameters, so their placement shows in the output
        for ln in (block.ln1, block.ln2):
            ln.weight.uniform_(0.5, 1.5)
            ln.bias.normal_(0, 0.2)
    return block.eval()


def reference(block, x, n_heads, post_norm=False):
    """The pre-norm block written with plain torch ops and the learner's own parameters."""
    B, T, C = x.shape
    hs = C // n_heads
    ln1, ln2, attn, mlp = block.ln1, block.ln2, block.attn, block.mlp

    def attention(h):
        q, k, v = F.linear(h, attn.qkv.weight, attn.qkv.bias).split(C, dim=-1)
        q, k, v = (t.reshape(B, T, n_heads, hs).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(hs)
        scores = scores.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        return F.linear(y, attn.proj.weight, attn.proj.bias)

    def feed_forward(h):
        return F.linear(F.gelu(F.linear(h, mlp.fc.weight, mlp.fc.bias)), mlp.proj.weight, mlp.proj.bias)

    def norm(ln, h):
        return F.layer_norm(h, (C,), ln.weight, ln.bias, ln.eps)

    with torch.no_grad():
        if post_norm:
            x = norm(ln1, x + attention(x))
            return norm(ln2, x + feed_forward(x))
        x = x + attention(norm(ln1, x))
        return x + feed_forward(norm(ln2, x))


def run(block, x):
    try:
        out = block(x)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        raise AssertionError(f"TransformerBlock on x of shape {tuple(x.shape)} raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(out, torch.Tensor):
        raise AssertionError(f"TransformerBlock.forward must return a tensor, got {type(out).__name__}.")
    return out


def test_output_has_the_input_shape():
    block = make_block(32, 4)
    out = run(block, torch.randn(2, 10, 32))
    assert tuple(out.shape) == (2, 10, 32), (f"the block returned shape {tuple(out.shape)}; a Transformer block maps "
                                             "(B, T, C) to the same (B, T, C) = (2, 10, 32).")


def test_matches_a_pre_norm_reference_with_the_same_weights():
    block = make_block(32, 4)
    x = torch.randn(2, 7, 32)
    out = run(block, x)
    if isinstance(out, torch.Tensor) and out.shape == x.shape and \
            torch.allclose(out, reference(block, x, 4, post_norm=True), atol=1e-4):
        raise AssertionError("your block computes the post-norm form LN(x + sublayer(x)). This exercise asks for "
                             "pre-norm: x + sublayer(LN(x)), so the residual stream itself is never normalised.")
    assert_tensor_close(out, reference(block, x, 4), atol=1e-5,
                        name="block output (x + attn(ln1(x)), then x + mlp(ln2(x)), in eval mode)")


def test_changing_future_tokens_does_not_change_earlier_outputs():
    block = make_block(16, 2)
    x = torch.randn(1, 8, 16)
    out = run(block, x)
    x2 = x.clone()
    x2[:, 5:] = torch.randn(1, 3, 16)  # change tokens 5, 6, 7
    out2 = run(block, x2)
    assert_tensor_close(out2[:, :5], out[:, :5], atol=1e-6,
                        name="outputs at positions 0-4 after changing tokens 5-7 (the attention must be causal)")
    moved = (out2[:, 5:] - out[:, 5:]).abs().max().item()
    assert moved > 1e-4, "changing tokens 5-7 should change the outputs at positions 5-7, but they did not move."


def test_block_with_zeroed_sublayers_is_the_identity():
    block = make_block(16, 4)
    with torch.no_grad():
        for p in list(block.attn.parameters()) + list(block.mlp.parameters()):
            p.zero_()
    x = torch.randn(2, 5, 16) * 3 + 1  # far from normalised, so a LayerNorm on the residual path shows
    out = run(block, x)
    assert_tensor_close(out, x, atol=1e-6,
                        name="output of a block whose attention and MLP weights are all zero (pre-norm: the residual "
                             "path carries x through untouched, so the block is the identity; a LayerNorm applied "
                             "after the addition, or a missing '+ x', breaks this)")


def test_every_parameter_gets_a_gradient():
    block = make_block(16, 4).train()
    x = torch.randn(2, 6, 16, requires_grad=True)
    run(block, x).pow(2).mean().backward()
    missing = [name for name, p in block.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    assert not missing, (f"these parameters got no gradient: {missing}. Every layer created in __init__ must be "
                         "used in forward, and nothing may be detached.")
    assert x.grad is not None, "no gradient reached the input x."
