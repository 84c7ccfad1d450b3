"""Public tests for the encoder-decoder exercise: run by *Run* and shown to the learner."""
import ast
import inspect

import pytest
import torch

from course_harness import assert_tensor_close, get_function, submission

SIGNATURE = ("class EncoderDecoder(nn.Module) with __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 32, "
             "n_heads: int = 4, max_len: int = 64)")
FORBIDDEN = {"Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
             "TransformerDecoderLayer"}
SRC_V, TGT_V = 20, 15


def make_model():
    cls = get_function("EncoderDecoder", SIGNATURE)
    return cls(SRC_V, TGT_V, d_model=32, n_heads=4, max_len=64).eval()


def call(fn, *args, what="forward", **kwargs):
    try:
        with torch.no_grad():
            out = fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        shapes = ", ".join(str(tuple(a.shape)) for a in args if isinstance(a, torch.Tensor))
        raise AssertionError(f"{what} on inputs of shapes {shapes} raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(out, torch.Tensor):
        raise AssertionError(f"{what} must return a tensor, got {type(out).__name__}.")
    return out


def test_shapes_with_different_source_and_target_lengths():
    model = make_model()
    src, tgt = torch.randint(0, SRC_V, (2, 9)), torch.randint(0, TGT_V, (2, 4))
    memory = call(model.encode, src, what="encode")
    assert tuple(memory.shape) == (2, 9, 32), f"encode returned shape {tuple(memory.shape)}, expected (B, S, d_model) = (2, 9, 32)."
    logits = call(model, src, tgt)
    assert tuple(logits.shape) == (2, 4, TGT_V), (f"forward returned shape {tuple(logits.shape)}, expected "
                                                 f"(B, T, tgt_vocab) = (2, 4, {TGT_V}) for S = 9, T = 4.")
    assert_tensor_close(call(model.decode, tgt, memory, what="decode"), logits, atol=1e-6,
                        name="decode(tgt, encode(src)) compared with forward(src, tgt)")


def test_every_decoder_position_depends_on_every_source_token():
    model = make_model()
    src, tgt = torch.randint(0, SRC_V, (1, 6)), torch.randint(0, TGT_V, (1, 5))
    base = call(model, src, tgt)
    for s in range(6):
        changed = src.clone()
        changed[0, s] = (changed[0, s] + 1) % SRC_V
        moved = (call(model, changed, tgt) - base).abs().amax(dim=-1)[0]   # (T,): change per target position
        still = [t for t in range(5) if moved[t] < 1e-6]
        assert not still, (f"changing source token {s} did not change the decoder output at target positions {still}. "
                           "Through cross-attention every target position should see every source position: "
                           "queries from the decoder, keys and values from the encoder output.")


def test_decoder_output_at_t_depends_only_on_targets_up_to_t():
    model = make_model()
    src, tgt = torch.randint(0, SRC_V, (1, 5)), torch.randint(0, TGT_V, (1, 6))
    base = call(model, src, tgt)
    for u in range(6):
        changed = tgt.clone()
        changed[0, u] = (changed[0, u] + 1) % TGT_V
        out = call(model, src, changed)
        assert_tensor_close(out[:, :u], base[:, :u], atol=1e-6,
                            name=f"logits at target positions 0..{u - 1} after changing target token {u} "
                                 "(the decoder's self-attention must be causal)")
        moved = (out[0, u] - base[0, u]).abs().max().item()
        assert moved > 1e-6, f"changing target token {u} did not change the output at position {u}."


def test_padded_source_positions_are_ignored():
    model = make_model()
    src, tgt = torch.randint(0, SRC_V, (2, 7)), torch.randint(0, TGT_V, (2, 4))
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[0, 4:] = True                                 # sequence 0: only 4 real tokens
    base = call(model, src, tgt, src_key_padding_mask=pad)
    changed = src.clone()
    changed[0, 4:] = (changed[0, 4:] + 3) % SRC_V     # change only padded tokens
    assert_tensor_close(call(model, changed, tgt, src_key_padding_mask=pad), base, atol=1e-6,
                        name="logits after changing padded source tokens (src_key_padding_mask True = padding: "
                             "hide those keys in the encoder's self-attention and in the cross-attention)")


def test_does_not_use_ready_made_transformer_layers(monkeypatch):
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError):  # source unavailable: the run-time check below still applies
        tree = ast.Module(body=[], type_ignores=[])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and any(a.name in FORBIDDEN for a in node.names):
            found.append((node.lineno, f"from {node.module} import ..."))
        elif isinstance(node, ast.Constant) and node.value in FORBIDDEN:
            found.append((node.lineno, repr(node.value)))
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in sorted(found))
        pytest.fail("Build the encoder and decoder blocks yourself from attention, nn.Linear and nn.LayerNorm; "
                    f"nn.Transformer and nn.TransformerEncoder/Decoder(Layer) are not allowed. Found: {where}.")

    # Run-time check too: PyTorch's ready-made layers raise while your model runs.
    def forbidden(*args, **kwargs):
        raise AssertionError("Your model called one of PyTorch's ready-made Transformer layers (nn.Transformer, "
                             "nn.TransformerEncoder/Decoder(Layer)), which this exercise does not allow.")

    for name in sorted(FORBIDDEN):
        monkeypatch.setattr(getattr(torch.nn, name), "forward", forbidden)
    model = make_model()
    call(model, torch.randint(0, SRC_V, (2, 5)), torch.randint(0, TGT_V, (2, 4)),
         src_key_padding_mask=torch.zeros(2, 5, dtype=torch.bool))
