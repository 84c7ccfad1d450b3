"""Public tests for fine-tuning the tiny GPT-2 on a ship's log: run by *Run* and shown to the learner.

Every value your functions return is compared with the tests' own computation on their own copy
of the checkpoint (``finetune_reference``); the dataset is made by ``ships_log``.
"""
import math

import torch

import finetune_reference as ref
import ships_log
from course_harness import artifacts, assert_tensor_close, get_function

LOAD = "load(path) -> (tokenizer, model)"
BLOCKS = "make_blocks(tokenizer, text, block_size) -> LongTensor (N, block_size)"
MEAN_LOSS = "mean_loss(model, blocks, batch_size) -> float"
FINETUNE = "finetune(model, blocks, *, steps, lr, batch_size, accumulation_steps=1, seed=0) -> list of floats"
GENERATE = "generate_text(model, tokenizer, prompt, max_new_tokens, seed) -> str"

BLOCK_SIZE = 32
# The fine-tuning run: 30 optimizer steps, each on 2 micro-batches of 8 blocks of 32 tokens.
STEPS, LR, BATCH_SIZE, ACCUMULATION, SEED = 30, 1e-3, 8, 2, 0
LOSS_BEFORE_AT_LEAST = 6.0  # the checkpoint scores about 7.28 on the held-out days
LOSS_AFTER_AT_MOST = 2.6    # the reference reaches about 1.8; from scratch, the same run reaches about 3.3
SIMILARITY_AT_LEAST = 0.8   # the reference keeps about 0.95 of the checkpoint's embedding direction
PROMPTS = ["4 Jun, day 121.\n", "Wind"]
SAMPLE_TOKENS = 48


def load():
    out = get_function("load", LOAD)(ref.checkpoint())
    assert isinstance(out, tuple) and len(out) == 2, (
        f"load(path) should return a pair (tokenizer, model), got {type(out).__name__}.")
    return out


def test_load_gives_the_pretrained_checkpoint_and_its_tokenizer():
    tokenizer, model = load()
    text = ships_log.log_text(1, seed=1)
    expected_ids = ref.tokenizer()(text)["input_ids"]
    got_ids = list(tokenizer(text)["input_ids"])
    assert got_ids == expected_ids, (
        "the tokenizer load returns splits text differently from the checkpoint's own tokenizer: load it with "
        "AutoTokenizer.from_pretrained(path).")
    mine = ref.learner_parameters(model)
    expected = ref.checkpoint_parameters()
    assert sorted(mine) == sorted(expected), (
        f"the model's parameters are not those of the checkpoint's GPT-2 with its language-modelling head: "
        f"expected names like {sorted(expected)[:3]}, got {sorted(mine)[:3]}. Use AutoModelForCausalLM.")
    for name, value in expected.items():
        assert_tensor_close(mine[name], value, atol=0, rtol=0,
                            name=f"{name} (it should hold the pre-trained weights: use from_pretrained(path), "
                                 "not a freshly initialised model)")


def test_make_blocks_cuts_the_text_into_consecutive_blocks():
    tokenizer, _ = load()
    text = ships_log.train_text()
    got = get_function("make_blocks", BLOCKS)(tokenizer, text, BLOCK_SIZE)
    expected = ref.blocks(text, BLOCK_SIZE)
    assert isinstance(got, torch.Tensor), f"make_blocks should return a tensor, got {type(got).__name__}."
    total = len(ref.tokenizer()(text)["input_ids"])
    assert tuple(got.shape) == tuple(expected.shape), (
        f"the training text has {total} tokens, so it makes {len(expected)} blocks of {BLOCK_SIZE} (the last "
        f"{total % BLOCK_SIZE} tokens are dropped); got shape {tuple(got.shape)}.")
    assert_tensor_close(got, expected, atol=0, rtol=0, name="the blocks (row i holds tokens 32·i to 32·i + 31)")


def test_mean_loss_is_the_next_token_loss_in_eval_mode():
    tokenizer, model = load()
    held_out = ref.blocks(ships_log.held_out_text(), BLOCK_SIZE)[:20]
    expected = ref.mean_loss(ref.fresh_model(), held_out, 8)
    model.train()  # mean_loss must measure in eval mode whatever mode it is handed
    got = get_function("mean_loss", MEAN_LOSS)(model, held_out, 8)
    assert isinstance(got, float), f"mean_loss should return a Python float (loss.item()), got {type(got).__name__}."
    assert math.isfinite(got) and abs(got - expected) <= 1e-5, (
        f"on 20 held-out blocks in batches of 8, 8 and 4 the model's mean next-token loss is {expected:.6f}; "
        f"mean_loss returned {got:.6f}. Put the model in eval mode (dropout off), pass labels=input_ids (the "
        "model shifts them itself) and weight each batch by its number of blocks.")


GRAD_MARK = "mean_loss ran the model with autograd on"


def _refuse_autograd(module, args, output):
    """A forward hook that runs where the model lives: evaluation must not record a graph."""
    if torch.is_grad_enabled():
        raise RuntimeError(GRAD_MARK)


def test_mean_loss_runs_without_autograd():
    _, model = load()
    held_out = ref.blocks(ships_log.held_out_text(), BLOCK_SIZE)[:6]
    handle = model.register_forward_hook(_refuse_autograd)
    try:
        get_function("mean_loss", MEAN_LOSS)(model, held_out, 4)
    except Exception as error:  # noqa: BLE001 - the hook's error, reported in the learner's words
        if GRAD_MARK in str(error):
            raise AssertionError(
                "mean_loss ran the model with autograd recording a graph for backward: measuring needs no "
                "gradients, so wrap it in torch.no_grad() (it saves the memory and time of the graph).") from None
        raise
    finally:
        handle.remove()


def test_generate_text_samples_a_continuation_with_generate():
    tokenizer, model = load()
    prompt = "ROMEO:\n"
    got = get_function("generate_text", GENERATE)(model, tokenizer, prompt, 24, 7)
    expected = ref.sample(ref.fresh_model(), prompt, 24, 7)
    assert isinstance(got, str), f"generate_text should return a str, got {type(got).__name__}."
    assert got == expected, (
        f"after torch.manual_seed(7), model.generate(..., do_sample=True, max_new_tokens=24) continues {prompt!r} "
        f"with {expected!r}; generate_text returned {got!r}. Return only the new text, decoded with "
        "skip_special_tokens=True.")


def test_finetuning_adapts_the_model_to_the_ships_log():
    tokenizer, model = load()
    generate = get_function("generate_text", GENERATE)
    train = ref.blocks(ships_log.train_text(), BLOCK_SIZE)
    held_out = ref.blocks(ships_log.held_out_text(), BLOCK_SIZE)
    before_samples = [generate(model, tokenizer, p, SAMPLE_TOKENS, 1) for p in PROMPTS]

    torch.manual_seed(SEED)
    losses = get_function("finetune", FINETUNE)(model, train, steps=STEPS, lr=LR, batch_size=BATCH_SIZE,
                                                accumulation_steps=ACCUMULATION, seed=SEED)
    assert isinstance(losses, list) and len(losses) == STEPS, (
        f"finetune(..., steps={STEPS}) should return a list of {STEPS} losses, one per optimizer step; got "
        f"{type(losses).__name__} of length {len(losses) if hasattr(losses, '__len__') else '?'}.")
    assert all(isinstance(v, float) and math.isfinite(v) for v in losses), (
        "the losses should be finite Python floats (loss.item()); a NaN or inf means training diverged.")
    after_samples = [generate(model, tokenizer, p, SAMPLE_TOKENS, 1) for p in PROMPTS]

    # The tests' own measurement of the held-out days, on a copy of the learner's weights.
    checkpoint = ref.checkpoint_parameters()
    tuned = ref.learner_parameters(model)
    before = ref.mean_loss(ref.fresh_model(), held_out, 32)
    after = ref.mean_loss(ref.with_parameters(tuned), held_out, 32)
    key = "transformer.wte.weight"
    similarity = ref.cosine(tuned[key], checkpoint[key])

    board = artifacts()
    board.line("training loss (one point per optimizer step)", losses, x=list(range(1, STEPS + 1)),
               x_label="optimizer step", y_label="loss")
    board.text("samples before and after fine-tuning (generate_text, seed 1)", "\n\n".join(
        f"prompt {p!r}\n--- before ---\n{p}{b}\n--- after ---\n{p}{a}"
        for p, b, a in zip(PROMPTS, before_samples, after_samples)))
    board.text("what fine-tuning changed", (
        f"held-out days ({held_out.numel():,} tokens): loss {before:.3f} → {after:.3f} nats per token, "
        f"perplexity {ref.perplexity(before):.1f} → {ref.perplexity(after):.1f}\n"
        f"training loss, first step → last step: {losses[0]:.3f} → {losses[-1]:.3f}\n"
        f"cosine similarity of the token embeddings with the checkpoint's: {similarity:.3f}"))

    assert before >= LOSS_BEFORE_AT_LEAST, f"the checkpoint's held-out loss should be about 7.3, got {before:.3f}."
    assert after <= LOSS_AFTER_AT_MOST, (
        f"after {STEPS} steps the held-out loss is {after:.3f} (it was {before:.3f}); a correct fine-tune reaches "
        f"below {LOSS_AFTER_AT_MOST} (about 1.8). Check the loss (labels=input_ids, which the model shifts itself), "
        "that every step uses the lr it is given, and that each step applies its own gradients.")
    assert similarity >= SIMILARITY_AT_LEAST, (
        f"the fine-tuned token embeddings have cosine similarity {similarity:.3f} with the checkpoint's; "
        f"fine-tuning nudges pre-trained weights and keeps above {SIMILARITY_AT_LEAST} (about 0.95). Train the "
        "model from_pretrained gave, without re-initialising it.")
