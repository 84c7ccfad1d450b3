"""Hidden tests for the GPT model: edge cases, run only on *Submit*."""
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function
from gpt_reference import (block_index, copies, describe, diagnose, find_layers, parameters_of, randomise,
                           reference_logits)

CONFIG_SIGNATURE = "GPTConfig(vocab_size, block_size, n_layer, n_head, n_embd, dropout, bias) (a dataclass)"
GPT_SIGNATURE = "class GPT(nn.Module) with forward(idx, targets=None) -> (logits, loss)"


def make_gpt(**overrides):
    values = dict(vocab_size=29, block_size=8, n_layer=2, n_head=2, n_embd=24, dropout=0.0, bias=True)
    values.update(overrides)
    config = get_function("GPTConfig", CONFIG_SIGNATURE)(**values)
    model = get_function("GPT", GPT_SIGNATURE)(config)
    if not isinstance(model, nn.Module):
        raise AssertionError(f"GPT(config) should be an nn.Module, got {type(model).__name__}.")
    return model.eval(), values


def reference_generate(model, idx, max_new_tokens, block_size, temperature=1.0, top_k=None, generator=None):
    """The sampling recipe of the prompt, driven by the learner's own forward pass."""
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits, _ = model(idx[:, -block_size:])
            logits = logits[:, -1, :] / temperature                      # (B, V)
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)  # (B, 1)
            idx = torch.cat([idx, nxt], dim=1)
    return idx


def call_generate(model, *args, **kwargs):
    try:
        return model.generate(*args, **kwargs)
    except Exception as exc:  # a readable message instead of a traceback deep in the model
        raise AssertionError(f"model.generate raised {type(exc).__name__}: {exc}. When the sequence grows past "
                             "block_size, feed only its last block_size tokens to the model.") from exc


def test_parameter_count_without_biases():
    model, cfg = make_gpt(vocab_size=41, block_size=20, n_layer=3, n_head=4, n_embd=32, bias=False)
    V, T, L, C = 41, 20, 3, 32
    want = V * C + T * C + L * (12 * C * C + 2 * C) + C  # LayerNorms keep only their weight
    got = sum(p.numel() for p in model.parameters())
    tie = (f" That is exactly vocab_size * n_embd = {V * C} too many: tie lm_head.weight to wte.weight."
           if got - want == V * C else "")
    assert got == want, (f"GPT(bias=False) with {cfg} has {got:,} parameters; expected {want:,} "
                         f"(difference {got - want:+,}). With bias=False, no Linear has a bias and every "
                         f"LayerNorm is nn.LayerNorm(n_embd, bias=False).{tie}")


def test_generate_crops_the_context_to_block_size():
    model, cfg = make_gpt()
    prompt = torch.randint(0, cfg["vocab_size"], (2, 13))  # already longer than block_size = 8
    out = call_generate(model, prompt, 20, temperature=0.9, generator=torch.Generator().manual_seed(3))
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 33), (
        f"generate(prompt of shape (2, 13), 20) should return shape (2, 33), got "
        f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}.")
    expected = reference_generate(model, prompt, 20, cfg["block_size"], temperature=0.9,
                                  generator=torch.Generator().manual_seed(3))
    assert torch.equal(out, expected), (
        "generate did not follow the sampling recipe of the prompt: crop to the last block_size tokens, take the "
        "logits of the last position, divide by temperature, (top-k), softmax, then one torch.multinomial(probs, 1, "
        "generator=generator) per step.")


def test_generate_is_reproducible_with_a_generator_and_ignores_the_global_seed():
    model, cfg = make_gpt()
    prompt = torch.zeros(3, 1, dtype=torch.long)
    first = call_generate(model, prompt, 12, generator=torch.Generator().manual_seed(7))
    torch.manual_seed(1234)  # the global random state must not matter when a generator is given
    torch.rand(5)
    second = call_generate(model, prompt, 12, generator=torch.Generator().manual_seed(7))
    assert torch.equal(first, second), ("the same generator seed gave different samples after the global random "
                                        "state changed: pass generator=generator to torch.multinomial.")
    other = call_generate(model, prompt, 12, generator=torch.Generator().manual_seed(8))
    assert not torch.equal(first, other), "generators with different seeds gave identical samples."
    expected = reference_generate(model, prompt, 12, cfg["block_size"], generator=torch.Generator().manual_seed(7))
    assert torch.equal(first, expected), ("generate(prompt, 12, generator=g) differs from the recipe in the prompt "
                                          "(last position, temperature, softmax, torch.multinomial with the generator).")


def test_top_k_one_always_picks_the_most_likely_token():
    model, cfg = make_gpt()
    prompt = torch.randint(0, cfg["vocab_size"], (2, 3))
    out = call_generate(model, prompt, 10, temperature=1.5, top_k=1, generator=torch.Generator().manual_seed(0))
    idx = prompt
    with torch.no_grad():
        for _ in range(10):
            logits, _ = model(idx[:, -cfg["block_size"]:])
            idx = torch.cat([idx, logits[:, -1, :].argmax(dim=-1, keepdim=True)], dim=1)
    assert torch.equal(out, idx), ("with top_k=1 only the most likely token may be drawn: keep the top_k largest "
                                   "logits and set every other logit to -inf before the softmax.")
    wide = call_generate(model, prompt, 6, top_k=10_000, generator=torch.Generator().manual_seed(1))
    assert tuple(wide.shape) == (2, 9), "top_k larger than vocab_size should work like no top-k (use min(top_k, V))."


def test_dropout_is_active_in_training_and_off_in_eval():
    model, cfg = make_gpt(dropout=0.5)
    idx = torch.randint(0, cfg["vocab_size"], (2, 8))
    model.eval()
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(idx)
    assert_tensor_close(b, a, atol=0, rtol=0, name="two eval-mode forward passes of the same input (dropout must be "
                                                 "off in eval mode: use nn.Dropout modules, not F.dropout(..., training=True))")
    plain, _ = make_gpt(dropout=0.0)
    plain.load_state_dict(model.state_dict())
    with torch.no_grad():
        c, _ = plain(idx)
    assert_tensor_close(a, c, atol=1e-5, name="eval-mode logits with dropout=0.5 compared with the same weights at "
                                              "dropout=0.0 (eval mode must not drop or rescale anything)")
    model.train()
    with torch.no_grad():
        d, _ = model(idx)
        e, _ = model(idx)
    assert not torch.allclose(d, e), ("with dropout=0.5 in training mode two forward passes gave the same logits: "
                                      "apply config.dropout (after the embeddings, on the attention weights and on "
                                      "the outputs of attention and MLP).")


def test_loss_uses_the_targets_as_given_without_shifting():
    model, cfg = make_gpt(n_layer=3)
    idx = torch.randint(0, cfg["vocab_size"], (3, 8))
    targets = torch.roll(idx, -1, dims=1)
    logits, loss = model(idx, targets)
    expected = F.cross_entropy(logits.reshape(-1, cfg["vocab_size"]), targets.reshape(-1))
    assert_tensor_close(loss, expected, atol=1e-5,
                        name="model(idx, targets)[1] for a (3, 8) batch (the mean cross-entropy over all B*T "
                             "positions; targets[b, t] is already the token after idx[b, t], so do not shift again)")
    single = torch.randint(0, cfg["vocab_size"], (1, 8))
    changed = single.clone()
    changed[0, 4:] = (single[0, 4:] + 5) % cfg["vocab_size"]
    with torch.no_grad():
        before, _ = model(single)
        after, _ = model(changed)
    assert_tensor_close(after[:, :4], before[:, :4], atol=1e-5,
                        name="the logits at positions 0..3 of a 3-layer model after changing tokens 4..7 "
                             "(every block must be causal)")


def test_logits_depend_on_the_position():
    model, cfg = make_gpt()
    same = torch.full((1, 8), 3, dtype=torch.long)  # one token repeated: only the position tells them apart
    with torch.no_grad():
        logits, _ = model(same)
    spread = (logits[0] - logits[0, :1]).abs().max().item()
    assert spread > 1e-4, ("a sequence of one repeated token gives the same logits at every position: add the "
                           "position embedding wpe(arange(T)) to the token embedding.")


def compare_with_reference(model, cfg, idx, what, atol=1e-4, rtol=1e-5):
    """The learner's eval-mode logits against the reference GPT with the same weights."""
    with torch.no_grad():
        logits, _ = model(idx)
        expected = reference_logits(find_layers(model, cfg), cfg, idx)
    try:
        assert_tensor_close(logits, expected.float(), atol=atol, rtol=rtol, name=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}{diagnose(find_layers(model, cfg), cfg, idx, logits)}") from None


def test_values_without_biases_with_many_small_heads():
    model, cfg = make_gpt(vocab_size=29, block_size=8, n_layer=3, n_head=8, n_embd=32, bias=False)
    randomise(find_layers(model, cfg), torch.Generator().manual_seed(2))
    for T in (8, 1):  # the full context, and a single token
        idx = torch.randint(0, cfg["vocab_size"], (2, T))
        compare_with_reference(model, cfg, idx, f"the logits of GPT(bias=False, n_head=8, head size 4) for T = {T} "
                                                "compared with a reference GPT with the same weights")


def test_large_attention_scores_stay_finite_and_exact():
    model, cfg = make_gpt()
    layers = find_layers(model, cfg)
    randomise(layers, torch.Generator().manual_seed(3))
    with torch.no_grad():  # q, k and v ten times larger: scores of several hundred, exp() overflows float32
        for block in layers["blocks"]:
            for lin in block["qkv"]:
                lin.weight.mul_(10.0)
    idx = torch.randint(0, cfg["vocab_size"], (2, 8))
    compare_with_reference(model, cfg, idx, "the logits with attention scores of several hundred (exp of such a score "
                                            "overflows: use F.softmax, or subtract the row maximum before torch.exp)",
                           atol=1e-3, rtol=1e-3)


def test_gradients_match_a_reference_gpt():
    model, cfg = make_gpt(vocab_size=29, block_size=8, n_layer=2, n_head=3, n_embd=24)
    layers = find_layers(model, cfg)
    randomise(layers, torch.Generator().manual_seed(4))
    idx = torch.randint(0, cfg["vocab_size"], (3, 8))
    targets = torch.randint(0, cfg["vocab_size"], (3, 8))
    model.zero_grad(set_to_none=True)
    logits, loss = model(idx, targets)
    loss.backward()
    weights = copies(layers)
    expected = reference_logits(layers, cfg, idx, weights)
    F.cross_entropy(expected.reshape(-1, cfg["vocab_size"]), targets.reshape(-1)).backward()
    assert_tensor_close(logits, expected.detach().float(), atol=1e-4, rtol=1e-5,
                        name="the logits of model(idx, targets) compared with a reference GPT with the same weights")
    for p in parameters_of(layers):
        what = describe(layers, p)
        if p.grad is None:
            raise AssertionError(f"after loss.backward() the {what} has no gradient: every layer must be used in "
                                 "forward and nothing may be detached.")
        assert_tensor_close(p.grad, weights[id(p)].grad.float(), atol=1e-5, rtol=1e-3,
                            name=f"the gradient of the loss with respect to the {what}")


def test_dropout_acts_after_the_embeddings_and_in_both_sublayers():
    cases = (
        (("attention", "MLP"), False, "after the embeddings: x = drop(wte(idx) + wpe(pos))"),
        (("MLP",), True, "in the attention: on the attention weights after the softmax and on the output of c_proj"),
        (("attention",), True, "on the output of the MLP"),
    )
    for silenced, embedding_dropout_off, where in cases:
        model, cfg = make_gpt(dropout=0.5)
        layers = find_layers(model, cfg)
        randomise(layers, torch.Generator().manual_seed(5))
        with torch.no_grad():  # a sub-layer whose weights and biases are all zero outputs exactly 0, dropout or not
            for block in layers["blocks"]:
                linears = (block["qkv"] + [block["proj"]]) if "attention" in silenced else []
                linears += [block["fc"], block["fc_proj"]] if "MLP" in silenced else []
                for lin in linears:
                    for p in lin.parameters():
                        p.zero_()
        if embedding_dropout_off:
            for name, module in model.named_modules():
                if isinstance(module, nn.Dropout) and block_index(name) is None:
                    module.p = 0.0
        model.train()
        idx = torch.randint(0, cfg["vocab_size"], (2, 8))
        with torch.no_grad():
            a, _ = model(idx)
            b, _ = model(idx)
        off = " and the embedding dropout off" if embedding_dropout_off else ""
        assert not torch.allclose(a, b), (
            f"with dropout=0.5 in training mode, the {' and '.join(silenced)} weights of every block set to zero{off}, "
            f"two forward passes gave the same logits: nothing is dropped {where}. Use the nn.Dropout(config.dropout) "
            "modules there.")
