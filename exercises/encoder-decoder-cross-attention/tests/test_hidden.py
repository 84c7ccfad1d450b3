"""Hidden tests for the encoder-decoder: padding equivalence, bidirectional encoder, gradients, lengths."""
import torch
import torch.nn.functional as F

from course_harness import assert_tensor_close, get_function

SIGNATURE = ("class EncoderDecoder(nn.Module) with __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 32, "
             "n_heads: int = 4, max_len: int = 64)")
SRC_V, TGT_V = 20, 15


def make_model(**kwargs):
    cls = get_function("EncoderDecoder", SIGNATURE)
    return cls(SRC_V, TGT_V, **kwargs).eval()


def call(fn, *args, **kwargs):
    try:
        with torch.no_grad():
            return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError) as exc:
        shapes = ", ".join(str(tuple(a.shape)) for a in args if isinstance(a, torch.Tensor))
        raise AssertionError(f"the model on inputs of shapes {shapes} raised {type(exc).__name__}: {exc}") from exc


def test_padded_sequence_matches_the_same_sequence_alone():
    model = make_model()
    src, tgt = torch.randint(0, SRC_V, (3, 8)), torch.randint(0, TGT_V, (3, 5))
    pad = torch.zeros(3, 8, dtype=torch.bool)
    pad[1, 3:] = True                                  # sequence 1 has 3 real tokens
    batched = call(model, src, tgt, src_key_padding_mask=pad)
    alone = call(model, src[1:2, :3], tgt[1:2])
    assert_tensor_close(batched[1:2], alone, atol=1e-5,
                        name="logits of a padded sequence in a batch vs the unpadded sequence run alone")


def test_encoder_is_bidirectional():
    model = make_model()
    src = torch.randint(0, SRC_V, (1, 6))
    memory = call(model.encode, src)
    changed = src.clone()
    changed[0, -1] = (changed[0, -1] + 1) % SRC_V
    moved = (call(model.encode, changed)[0, 0] - memory[0, 0]).abs().max().item()
    assert moved > 1e-6, ("the encoder output at position 0 did not change when the last source token changed: the "
                          "encoder's self-attention must not be causal, every source token sees the whole source.")


def test_target_longer_than_source_and_longest_lengths():
    model = make_model(d_model=16, n_heads=2, max_len=20)
    for S, T in ((2, 11), (20, 20)):
        out = call(model, torch.randint(0, SRC_V, (2, S)), torch.randint(0, TGT_V, (2, T)))
        assert isinstance(out, torch.Tensor) and tuple(out.shape) == (2, T, TGT_V), (
            f"for S = {S}, T = {T} with d_model = 16 the logits should have shape (2, {T}, {TGT_V}), "
            f"got {getattr(out, 'shape', type(out).__name__)}.")


def test_every_parameter_gets_a_gradient():
    model = make_model().train()
    src, tgt = torch.randint(0, SRC_V, (2, 6)), torch.randint(0, TGT_V, (2, 5))
    logits = model(src, tgt)
    F.cross_entropy(logits.reshape(-1, TGT_V), torch.randint(0, TGT_V, (10,))).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"these parameters got no gradient: {missing}. Every layer must be used in forward."


def test_batch_elements_do_not_mix():
    model = make_model()
    src, tgt = torch.randint(0, SRC_V, (4, 6)), torch.randint(0, TGT_V, (4, 5))
    assert_tensor_close(call(model, src, tgt)[2:3], call(model, src[2:3], tgt[2:3]), atol=1e-5,
                        name="logits of sequence 2 inside a batch of 4 vs alone")


def test_positions_matter_on_both_sides():
    model = make_model()
    src = torch.randperm(SRC_V)[:6][None]                 # (1, 6) distinct source tokens
    tgt = torch.full((1, 5), 3)                           # the same target token at every position
    logits = call(model, src, tgt)
    same = [t for t in range(1, 5) if (logits[0, t] - logits[0, 0]).abs().max().item() < 1e-5]
    assert not same, (f"for a target made of one repeated token, the logits at positions {same} equal those at "
                      "position 0: the decoder cannot tell target positions apart. Add position embeddings to the "
                      "target tokens too.")
    moved = (call(model, src.flip(1), tgt) - logits).abs().max().item()
    assert moved > 1e-5, ("reversing the source sentence did not change the logits: the encoder sees the source as a "
                          "bag of tokens. Add position embeddings to the source tokens too.")
