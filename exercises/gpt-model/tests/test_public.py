"""Public tests for the GPT model: run by *Run* and shown to the learner."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_not_using, assert_tensor_close, get_function
from gpt_reference import diagnose, find_layers, randomise, reference_logits

CONFIG_SIGNATURE = "GPTConfig(vocab_size, block_size, n_layer, n_head, n_embd, dropout, bias) (a dataclass)"
GPT_SIGNATURE = "class GPT(nn.Module) with forward(idx, targets=None) -> (logits, loss)"
# Ready-made transformer layers would do the whole exercise for you.
READY_MADE = {"MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer",
              "TransformerEncoder", "TransformerDecoder", "Transformer"}


def make_gpt(**overrides):
    """Build the learner's GPT from a small config (in eval mode, so dropout is off)."""
    values = dict(vocab_size=37, block_size=16, n_layer=2, n_head=4, n_embd=32, dropout=0.0, bias=True)
    values.update(overrides)
    config = get_function("GPTConfig", CONFIG_SIGNATURE)(**values)
    model = get_function("GPT", GPT_SIGNATURE)(config)
    if not isinstance(model, nn.Module):
        raise AssertionError(f"GPT(config) should be an nn.Module, got {type(model).__name__}.")
    return model.eval(), values


def expected_parameters(vocab_size, block_size, n_layer, n_embd, bias, **_):
    """The prompt's formula; the tied output matrix is counted once."""
    V, T, L, C = vocab_size, block_size, n_layer, n_embd
    if bias:
        return V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
    return V * C + T * C + L * (12 * C * C + 2 * C) + C


def forward(model, idx, targets=None):
    out = model(idx) if targets is None else model(idx, targets)
    if not isinstance(out, tuple) or len(out) != 2:
        raise AssertionError(f"model(idx) should return a tuple (logits, loss), got {type(out).__name__}.")
    return out


def test_forward_gives_logits_for_every_position_and_no_loss_without_targets():
    model, cfg = make_gpt()
    for B, T in ((3, 16), (2, 5), (1, 1)):
        idx = torch.randint(0, cfg["vocab_size"], (B, T))
        logits, loss = forward(model, idx)
        if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (B, T, cfg["vocab_size"]):
            got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
            raise AssertionError(f"for idx of shape ({B}, {T}) the logits should have shape (B, T, vocab_size) = "
                                 f"({B}, {T}, {cfg['vocab_size']}), got {got}. Return logits for every position, "
                                 "not only the last one.")
        assert logits.dtype == torch.float32, f"logits should be float32, got {logits.dtype}."
        assert loss is None, f"model(idx) without targets should return loss=None, got {loss!r:.60}."


def test_parameter_count_matches_the_formula_with_tied_weights():
    for overrides in (dict(vocab_size=65, block_size=32, n_layer=2, n_head=4, n_embd=64),
                      dict(vocab_size=50, block_size=24, n_layer=3, n_head=2, n_embd=48)):
        model, cfg = make_gpt(**overrides)
        got = sum(p.numel() for p in model.parameters())  # a shared (tied) tensor is listed once
        want = expected_parameters(**cfg)
        if got == want:
            continue
        V, C, T = cfg["vocab_size"], cfg["n_embd"], cfg["block_size"]
        why = ""
        if got - want == V * C:
            why = (f" That is exactly vocab_size * n_embd = {V * C} too many: tie the output layer to the token "
                   "embedding (`self.lm_head.weight = self.wte.weight`).")
        elif want - got == T * C:
            why = " That is exactly block_size * n_embd too few: add the position embedding nn.Embedding(block_size, n_embd)."
        elif got - want == V:
            why = " That is exactly vocab_size too many: the output layer has no bias (bias=False)."
        raise AssertionError(f"GPT({cfg}) has {got:,} parameters; the formula in the prompt gives {want:,} "
                             f"(difference {got - want:+,}).{why}")


def test_changing_future_tokens_never_changes_past_logits():
    model, cfg = make_gpt()
    idx = torch.randint(0, cfg["vocab_size"], (2, 16))
    changed = idx.clone()
    changed[:, 9:] = (idx[:, 9:] + 1 + torch.randint(0, cfg["vocab_size"] - 1, (2, 7))) % cfg["vocab_size"]
    with torch.no_grad():
        before, _ = forward(model, idx)
        after, _ = forward(model, changed)
    assert_tensor_close(after[:, :9], before[:, :9], atol=1e-5, rtol=1e-5,
                        name="the logits at positions 0..8 after changing the tokens at positions 9..15 "
                             "(position t must only see tokens 0..t: mask the attention scores above the "
                             "diagonal with -inf before the softmax)")
    assert not torch.allclose(after[:, 9:], before[:, 9:]), (
        "changing the tokens at positions 9..15 did not change the logits there: the model must use its input.")


def test_logits_match_a_reference_gpt_with_your_weights():
    # Your weights are set to random values (LayerNorm gains and biases included) and copied into a GPT
    # written with plain tensor operations in gpt_reference.py; both must give the same logits.
    model, cfg = make_gpt()
    layers = find_layers(model, cfg)
    randomise(layers, torch.Generator().manual_seed(0))
    idx = torch.randint(0, cfg["vocab_size"], (2, 11))
    with torch.no_grad():
        logits, _ = forward(model, idx)
        expected = reference_logits(layers, cfg, idx)
    try:
        assert_tensor_close(logits, expected.float(), atol=1e-4, rtol=1e-5,
                            name="the logits of your GPT (eval mode, random weights) compared with a reference GPT "
                                 "built from the prompt's table with the same weights")
    except AssertionError as exc:
        raise AssertionError(f"{exc}{diagnose(layers, cfg, idx, logits)}") from None


def test_loss_at_initialisation_is_close_to_log_vocab_size():
    model, cfg = make_gpt(vocab_size=65, block_size=32, n_embd=64)
    idx = torch.randint(0, 65, (4, 32))
    targets = torch.randint(0, 65, (4, 32))
    logits, loss = forward(model, idx, targets)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise AssertionError(f"model(idx, targets) should return the loss as a 0-dim tensor, got {loss!r:.60}.")
    expected = F.cross_entropy(logits.reshape(-1, 65), targets.reshape(-1))
    assert_tensor_close(loss, expected, atol=1e-5,
                        name="the loss (the mean cross-entropy of logits against targets, which are already the "
                             "next tokens: do not shift them inside the model)")
    assert abs(loss.item() - math.log(65)) < 0.25, (
        f"at initialisation the loss should be close to ln(vocab_size) = ln 65 = {math.log(65):.3f} (a near-uniform "
        f"guess), got {loss.item():.3f}. Initialise every Linear and Embedding weight from N(0, 0.02) and biases "
        "with zeros; with tied weights PyTorch's default N(0, 1) embedding init makes the logits far too large.")


def test_generate_appends_max_new_tokens_and_keeps_the_prompt():
    model, cfg = make_gpt()
    prompt = torch.randint(0, cfg["vocab_size"], (2, 5))
    out = model.generate(prompt, 7, generator=torch.Generator().manual_seed(0))
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, 12):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise AssertionError(f"generate(prompt of shape (2, 5), max_new_tokens=7) should return shape (2, 12): the "
                             f"prompt followed by 7 new tokens; got {got}.")
    assert torch.equal(out[:, :5], prompt), "generate must return the prompt unchanged, followed by the new tokens."
    assert out.dtype == torch.int64, f"generated ids should be int64, got {out.dtype}."
    assert int(out.min()) >= 0 and int(out.max()) < cfg["vocab_size"], "generated ids fall outside 0..vocab_size-1."


def test_does_not_use_ready_made_transformer_layers(monkeypatch):
    assert_not_using(READY_MADE, "Build attention and the blocks yourself from nn.Linear, nn.LayerNorm, nn.GELU and "
                                 "tensor operations; nn.MultiheadAttention and nn.Transformer* layers are not allowed.")

    def forbidden(self, *args, **kwargs):
        raise AssertionError("Your model built a ready-made PyTorch transformer layer, which this exercise does not "
                             "allow. Write the attention and blocks yourself.")

    for name in READY_MADE:
        monkeypatch.setattr(getattr(nn, name), "__init__", forbidden)
    model, cfg = make_gpt()
    forward(model, torch.randint(0, cfg["vocab_size"], (1, 4)))
