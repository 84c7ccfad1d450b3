"""Hidden tests for fine-tuning: run only on *Submit*.

They watch ``finetune`` from outside (a hook on every optimizer step and on every forward pass)
and compare its steps, without dropout, with whole-batch AdamW steps computed here.
"""
import math

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

import finetune_reference as ref
import ships_log
from course_harness import assert_tensor_close, get_function

LOAD = "load(path) -> (tokenizer, model)"
BLOCKS = "make_blocks(tokenizer, text, block_size) -> LongTensor (N, block_size)"
MEAN_LOSS = "mean_loss(model, blocks, batch_size) -> float"
FINETUNE = "finetune(model, blocks, *, steps, lr, batch_size, accumulation_steps=1, seed=0) -> list of floats"
GENERATE = "generate_text(model, tokenizer, prompt, max_new_tokens, seed) -> str"


# Parameters are compared by how far they moved: the key biases of attention get no gradient in exact
# arithmetic (softmax ignores a shift that is the same for every key), so AdamW turns their rounding
# noise into steps of up to lr, and two correct ways of summing the same gradient differ there.
UPDATE_TOLERANCE = 0.01


def _dropout_off(module):
    """Runs where the model lives (a pure function crosses as code): no dropout, so steps are exact."""
    if isinstance(module, torch.nn.Dropout):
        module.p = 0.0


def learner_model_without_dropout():
    """The checkpoint as the learner's load gives it, with every dropout probability set to 0."""
    _, model = get_function("load", LOAD)(ref.checkpoint())
    model.apply(_dropout_off)
    return model


def small_blocks(n: int, block_size: int = 16) -> torch.Tensor:
    return ref.blocks(ships_log.train_text(), block_size)[:n].clone()


class StepWatcher:
    """Counts optimizer steps and keeps the embedding's gradient as each step is about to apply it."""

    def __init__(self, embedding) -> None:
        self.embedding = embedding
        self.grads = []

    def __call__(self, optimizer, args, kwargs):
        grad = self.embedding.grad
        self.grads.append(None if grad is None else grad.detach().clone())


def run_watched(model, data, **kwargs):
    watcher = StepWatcher(model.get_input_embeddings().weight)
    handle = register_optimizer_step_pre_hook(watcher)
    try:
        losses = get_function("finetune", FINETUNE)(model, data, **kwargs)
    finally:
        handle.remove()
    return losses, watcher.grads


def test_make_blocks_drops_the_remainder_and_never_overlaps():
    tokenizer, _ = get_function("load", LOAD)(ref.checkpoint())
    make_blocks = get_function("make_blocks", BLOCKS)
    text = ships_log.log_text(3, seed=99)
    total = len(ref.tokenizer()(text)["input_ids"])
    for block_size in (5, 17, 64):
        expected = ref.blocks(text, block_size)
        got = make_blocks(tokenizer, text, block_size)
        assert isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(expected.shape), (
            f"a text of {total} tokens in blocks of {block_size} makes {total // block_size} whole blocks (the last "
            f"{total % block_size} tokens are dropped, never padded, and blocks do not overlap); got shape "
            f"{tuple(getattr(got, 'shape', ()))}.")
        assert_tensor_close(got, expected, atol=0, rtol=0, name=f"the blocks of {block_size} tokens")


def test_mean_loss_weights_a_short_last_batch_by_its_size():
    _, model = get_function("load", LOAD)(ref.checkpoint())
    data = ref.blocks(ships_log.held_out_text(), 24)[:9]
    expected = ref.mean_loss(ref.fresh_model(), data, 4)
    got = get_function("mean_loss", MEAN_LOSS)(model, data, 4)
    assert isinstance(got, float) and abs(got - expected) <= 1e-5, (
        f"9 blocks in batches of 4, 4 and 1: every block counts once, so the mean is {expected:.6f}; got {got!r:.12}. "
        "A batch's loss is the mean over its own blocks: multiply it by the batch's size before averaging.")


def test_one_step_with_accumulation_equals_one_step_on_the_whole_batch():
    data = small_blocks(8)  # exactly one effective batch: 4 micro-batches of 2 blocks
    model = learner_model_without_dropout()
    expected_losses, _, expected = ref.full_batch_training(data, steps=1, lr=3e-3)
    losses, grads = run_watched(model, data, steps=1, lr=3e-3, batch_size=2, accumulation_steps=4, seed=3)
    assert len(grads) == 1, (
        f"finetune(..., steps=1, accumulation_steps=4) should take exactly 1 optimizer step, after the 4 "
        f"micro-batches' backward passes; it took {len(grads)}.")
    assert isinstance(losses, list) and len(losses) == 1 and isinstance(losses[0], float), (
        f"finetune(..., steps=1) should return a list of one float, got {losses!r:.80}.")
    assert abs(losses[0] - expected_losses[0]) <= 1e-4, (
        f"the loss of the step should be the mean loss of its 8 blocks, {expected_losses[0]:.5f} (the sum of the "
        f"micro-batches' losses divided by accumulation_steps); got {losses[0]:.5f}.")
    error = ref.update_error(ref.learner_parameters(model), expected)
    assert error < UPDATE_TOLERANCE, (
        f"after one step the weights moved differently from one AdamW step with lr=3e-3 on all 8 blocks at once: "
        f"the change of the weights is {error:.1%} off. Use torch.optim.AdamW(model.parameters(), lr=lr) and one "
        "optimizer.step() per accumulation_steps micro-batches.")


def test_each_step_applies_the_gradient_of_its_own_effective_batch():
    data = small_blocks(8)
    model = learner_model_without_dropout()
    _, expected_grads, expected = ref.full_batch_training(data, steps=3, lr=3e-4)
    losses, grads = run_watched(model, data, steps=3, lr=3e-4, batch_size=4, accumulation_steps=2, seed=5)
    assert len(grads) == 3, f"finetune(..., steps=3, accumulation_steps=2) should take 3 optimizer steps; it took {len(grads)}."
    for step, (got, want) in enumerate(zip(grads, expected_grads), start=1):
        assert got is not None, f"at optimizer step {step} the embedding had no gradient: call backward() first."
        error = ((got - want).norm() / want.norm()).item()
        ratio = (got.norm() / want.norm()).item()
        assert error < 1e-3, (
            f"at optimizer step {step} the accumulated gradient differs from the gradient of the mean loss over "
            f"the step's 8 blocks by {error:.1%} (its norm is {ratio:.3g} times the expected one). Divide each "
            "micro-batch's loss by accumulation_steps, zero the gradients once per optimizer step (before its first "
            "micro-batch) and step once per accumulation_steps micro-batches.")
    error = ref.update_error(ref.learner_parameters(model), expected)
    assert error < UPDATE_TOLERANCE, (
        f"after 3 steps the weights moved differently from 3 AdamW steps with lr=3e-4 on all 8 blocks per step: "
        f"the change of the weights is {error:.1%} off. Use the lr you are given.")


def test_finetune_trains_in_train_mode_and_hands_back_eval_mode():
    _, model = get_function("load", LOAD)(ref.checkpoint())
    model.eval()
    seen = []

    def watch(module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        seen.append((bool(module.training), tuple(ids.shape) if ids is not None else None))

    handle = model.register_forward_pre_hook(watch, with_kwargs=True)
    try:
        losses = get_function("finetune", FINETUNE)(model, small_blocks(24), steps=2, lr=1e-3, batch_size=4,
                                                    accumulation_steps=3, seed=0)
    finally:
        handle.remove()
    assert len(seen) == 6, (
        f"2 steps of 3 micro-batches should run the model 6 times (one forward per micro-batch); it ran "
        f"{len(seen)} times.")
    assert all(training for training, _ in seen), (
        "finetune ran the model in eval mode: call model.train() before training, so that dropout is on "
        "(from_pretrained hands the model back in eval mode).")
    assert all(shape == (4, 16) for _, shape in seen), (
        f"each forward should see one micro-batch of batch_size=4 blocks of 16 tokens, got shapes "
        f"{sorted({s for _, s in seen}, key=str)}.")
    assert model.training is False, (
        "finetune left the model in training mode: call model.eval() at the end, so that whoever uses it next "
        "generates and measures without dropout.")
    assert len(losses) == 2 and all(isinstance(v, float) and math.isfinite(v) for v in losses), (
        f"finetune(..., steps=2) should return 2 finite floats, got {losses!r:.80}.")


def test_the_seed_decides_the_order_of_the_blocks():
    data = small_blocks(16)
    results = []
    for seed in (1, 1, 2):
        model = learner_model_without_dropout()
        torch.manual_seed(0)
        get_function("finetune", FINETUNE)(model, data, steps=2, lr=1e-3, batch_size=4, accumulation_steps=1,
                                           seed=seed)
        results.append(model.get_input_embeddings().weight.detach().clone())
    assert torch.equal(results[0], results[1]), "two runs with the same seed should train exactly the same way."
    assert not torch.equal(results[0], results[2]), (
        "seed=1 and seed=2 trained exactly the same way: shuffle the blocks with "
        "torch.Generator().manual_seed(seed), so the seed decides their order.")


def test_generate_text_uses_eval_mode_and_its_seed():
    tokenizer, model = get_function("load", LOAD)(ref.checkpoint())
    generate = get_function("generate_text", GENERATE)
    prompt = "Course 090, speed"
    model.train()
    got = generate(model, tokenizer, prompt, 20, 11)
    expected = ref.sample(ref.fresh_model(), prompt, 20, 11)
    assert got == expected, (
        f"generate_text(model in train mode, ..., seed=11) returned {got!r}; the checkpoint samples {expected!r} "
        "in eval mode. Call model.eval() first: generating with dropout on gives worse text.")
    assert generate(model, tokenizer, prompt, 20, 11) == got, "the same seed should give the same text."
    other = generate(model, tokenizer, prompt, 20, 12)
    assert other == ref.sample(ref.fresh_model(), prompt, 20, 12) and other != got, (
        "seed=12 should give the checkpoint's own sample for that seed, different from seed=11's.")
