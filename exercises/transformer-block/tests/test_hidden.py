"""Hidden tests for the pre-norm Transformer block: parameter count, dropout, lengths, head split."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

SIGNATURE = "class TransformerBlock(nn.Module) with __init__(self, d_model: int, n_heads: int, dropout: float = 0.0)"


def make_block(d_model, n_heads, dropout=0.0):
    cls = get_function("TransformerBlock", SIGNATURE)
    block = cls(d_model, n_heads, dropout=dropout)
    for path in ("ln1", "ln2", "attn.qkv", "attn.proj", "mlp.fc", "mlp.proj"):
        obj = block
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if not isinstance(obj, nn.Module):
            raise AssertionError(f"TransformerBlock needs the attribute `{path}` (see the prompt).")
    with torch.no_grad():
        for ln in (block.ln1, block.ln2):
            ln.weight.uniform_(0.5, 1.5)
            ln.bias.normal_(0, 0.2)
    return block.eval()


def reference(block, x, n_heads):
    B, T, C = x.shape
    hs = C // n_heads
    attn, mlp = block.attn, block.mlp
    with torch.no_grad():
        h = F.layer_norm(x, (C,), block.ln1.weight, block.ln1.bias, block.ln1.eps)
        q, k, v = F.linear(h, attn.qkv.weight, attn.qkv.bias).split(C, dim=-1)
        q, k, v = (t.reshape(B, T, n_heads, hs).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1) / math.sqrt(hs)).masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1),
                                                                       float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + F.linear(y, attn.proj.weight, attn.proj.bias)
        h = F.layer_norm(x, (C,), block.ln2.weight, block.ln2.bias, block.ln2.eps)
        return x + F.linear(F.gelu(F.linear(h, mlp.fc.weight, mlp.fc.bias)), mlp.proj.weight, mlp.proj.bias)


def test_parameter_count_is_12_c_squared_plus_13_c():
    for d_model, n_heads in ((48, 6), (48, 1)):
        block = make_block(d_model, n_heads)
        count = sum(p.numel() for p in block.parameters())
        expected = 12 * d_model ** 2 + 13 * d_model
        assert count == expected, (
            f"TransformerBlock({d_model}, {n_heads}) has {count} parameters, expected 12·C² + 13·C = {expected}: "
            "two LayerNorms (2·2C), qkv (3C² + 3C), attn proj (C² + C), mlp fc (4C² + 4C) and mlp proj (4C² + C). "
            "The count does not depend on the number of heads.")


def test_heads_split_the_channels_in_order():
    # 8 heads of size 2: a wrong view/transpose order gives a different result.
    block = make_block(16, 8)
    x = torch.randn(2, 6, 16)
    assert_tensor_close(block(x), reference(block, x, 8), atol=1e-5,
                        name="block output with 8 heads of size 2 (head h uses channels h*hs:(h+1)*hs)")


def test_dropout_is_active_in_training_and_off_in_eval():
    block = make_block(32, 4, dropout=0.3)
    x = torch.randn(2, 6, 32)
    block.train()
    a, b = block(x), block(x)
    assert not torch.allclose(a, b), ("with dropout=0.3 in train mode, two forward passes should differ (dropout draws "
                                      "new masks each time). Create nn.Dropout layers and use them in forward.")
    block.eval()
    assert_tensor_close(block(x), reference(block, x, 4), atol=1e-5,
                        name="eval-mode output with dropout=0.3 (eval() must switch dropout off)")


def test_dropout_acts_in_both_sublayers():
    # Silence one sub-layer (all its weights zero, so it outputs exactly 0 whatever dropout does):
    # then only dropout inside the other sub-layer can make two train-mode passes differ.
    for silenced, active, where in (("mlp", "attention", "on the attention weights (after the softmax) and on the "
                                     "output of attn.proj"),
                                    ("attn", "MLP", "on the output of mlp.proj")):
        block = make_block(32, 4, dropout=0.3).train()
        with torch.no_grad():
            for p in getattr(block, silenced).parameters():
                p.zero_()
        x = torch.randn(2, 6, 32)
        a, b = block(x), block(x)
        assert not torch.allclose(a, b), (
            f"with the {silenced} weights set to zero and dropout=0.3 in train mode, two forward passes gave the same "
            f"output, so the {active} sub-layer applies no dropout. Put nn.Dropout {where}.")


def test_without_dropout_train_and_eval_agree():
    block = make_block(16, 2, dropout=0.0)
    x = torch.randn(2, 5, 16)
    block.train()
    train_out = block(x)
    block.eval()
    assert_tensor_close(train_out, block(x), atol=1e-6, name="train-mode output with dropout=0.0 vs eval-mode output")


def test_single_token_and_long_sequences():
    block = make_block(16, 4)
    for T in (1, 40):
        x = torch.randn(2, T, 16)
        assert_tensor_close(block(x), reference(block, x, 4), atol=1e-5, name=f"block output for T = {T}")


def test_mlp_is_four_times_wider():
    block = make_block(24, 3)
    fc, proj = block.mlp.fc, block.mlp.proj
    assert tuple(fc.weight.shape) == (96, 24) and tuple(proj.weight.shape) == (24, 96), (
        f"mlp.fc should map 24 -> 96 and mlp.proj 96 -> 24 (hidden width 4·C); their weights have shapes "
        f"{tuple(fc.weight.shape)} and {tuple(proj.weight.shape)}.")
