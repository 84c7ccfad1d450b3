"""Hidden tests: evaluation against a reference forward pass, accumulation against full-batch steps,
the optimizer's groups, truncation, training mode and seeds."""
import pytest
import torch

import classifier_reference as ref
import sentiment_data as data
from course_harness import assert_tensor_close, get_function, is_instance

SIGNATURES = {
    "load_classifier": "load_classifier(path, num_labels=2, **config) -> (tokenizer, model)",
    "encode": "encode(tokenizer, texts, max_length=32) -> dict",
    "freeze_encoder": "freeze_encoder(model) -> None",
    "make_optimizer": "make_optimizer(model, lr, head_lr=None, weight_decay=0.01) -> torch.optim.AdamW",
    "evaluate": "evaluate(model, batch, labels) -> dict",
    "train": "train(model, optimizer, batch, labels, epochs, batch_size, accumulation_steps=1, seed=0) -> list[float]",
}
HEAD_ELEMENTS = 2 * 128 + 2   # classifier.weight (2, 128) and classifier.bias (2,)


def fn(name):
    return get_function(name, SIGNATURES[name])


def sentences(n, offset=0):
    train_set, _ = data.make_dataset()
    part = train_set[offset:offset + n]
    return data.texts(part), data.labels(part)


def test_evaluate_matches_a_reference_forward_pass():
    torch.manual_seed(7)
    _, model = fn("load_classifier")(ref.checkpoint(), 2)
    _, held_out = data.make_dataset()
    texts, labels = data.texts(held_out[:24]), data.labels(held_out[:24])
    batch = ref.encode(texts)
    assert (batch["attention_mask"] == 0).any(), "the test batch should hold padding"
    want = ref.evaluate(ref.with_state(ref.learner_state(model)), batch, labels)
    model.train()                       # as train() leaves it
    got = fn("evaluate")(model, batch, labels)
    for key in ("accuracy", "loss", "logits"):
        assert key in got, ("evaluate must return a dict with 'accuracy', 'loss' and 'logits'; "
                            f"it has {sorted(got.keys())}")
    logits = got["logits"]
    assert not logits.requires_grad, ("the logits evaluate returned track gradients: evaluate under torch.no_grad() "
                                      "(no graph is needed to measure, and building one costs memory)")
    assert_tensor_close(logits.detach(), want["logits"], atol=1e-5, rtol=1e-4,
                        name="evaluate's logits (eval mode: no dropout; the attention mask hides the padding)")
    assert abs(float(got["loss"]) - want["loss"]) < 1e-5, (
        f"evaluate's loss is {float(got['loss']):.6f}, the mean cross-entropy of the logits is {want['loss']:.6f}")
    assert abs(float(got["accuracy"]) - want["accuracy"]) < 1e-6, (
        f"evaluate's accuracy is {float(got['accuracy'])}, expected {want['accuracy']} (the fraction of rows whose "
        "largest logit, over the labels, is the true label)")
    again = fn("evaluate")(model, batch, labels)
    assert float(again["loss"]) == float(got["loss"]), "evaluating twice gave two losses: dropout is on (model.eval())"


def test_evaluate_accuracy_counts_correct_rows():
    torch.manual_seed(8)
    _, model = fn("load_classifier")(ref.checkpoint(), 3)
    texts, _ = sentences(10)
    batch = ref.encode(texts)
    want_logits = ref.evaluate(ref.with_state(ref.learner_state(model), num_labels=3), batch,
                               torch.zeros(10, dtype=torch.long))["logits"]
    predicted = want_logits.argmax(-1)
    labels = predicted.clone()
    labels[:4] = (labels[:4] + 1) % 3            # 6 of 10 right
    got = fn("evaluate")(model, batch, labels)
    assert abs(float(got["accuracy"]) - 0.6) < 1e-6, (
        f"6 of the 10 rows have their largest logit at the true label, so the accuracy is 0.6; evaluate says "
        f"{float(got['accuracy'])}. Take the argmax over the labels (the last dimension), per row.")


@pytest.mark.parametrize("batch_size, accumulation_steps, epochs", [(4, 4, 2), (8, 2, 1), (16, 1, 2)])
def test_accumulated_micro_batches_equal_full_batch_steps(batch_size, accumulation_steps, epochs):
    n = batch_size * accumulation_steps           # one optimizer step per epoch, over all the examples
    torch.manual_seed(11)
    _, model = fn("load_classifier")(ref.checkpoint(), 2, **ref.NO_DROPOUT)
    start = ref.learner_state(model)
    texts, labels = sentences(n, offset=20)
    batch = ref.encode(texts)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = fn("train")(model, optimizer, batch, labels, epochs, batch_size, accumulation_steps, 3)
    want_losses, want_state = ref.full_batch_sgd(start, batch, labels, epochs, 0.1)
    what = (f"{n} examples in micro-batches of {batch_size}, accumulated {accumulation_steps} at a time, "
            f"{epochs} epoch(s), plain SGD, no dropout")
    assert len(losses) == epochs, (f"{what}: that is {epochs} optimizer step(s), but train returned {len(losses)} "
                                   "losses (one per optimizer step, not per micro-batch)")
    for i, (got, want) in enumerate(zip(losses, want_losses)):
        assert abs(float(got) - want) < 1e-5, (
            f"{what}: the loss of step {i + 1} is {float(got):.6f}, the full batch's mean cross-entropy is {want:.6f} "
            "(add up the micro-batch losses after dividing each by accumulation_steps)")
    state = ref.learner_state(model)
    names = [k for k, v in want_state.items() if v.is_floating_point()]
    worst, where = ref.largest_difference(state, want_state, names)
    assert worst < 1e-5, (
        f"{what}: after training, {where} differs by {worst:.3g} from what full-batch steps give. One step must "
        "equal one step on all the step's examples at once: zero the gradients before the first micro-batch, "
        "divide each micro-batch's loss by accumulation_steps before backward(), step once per group.")


def test_train_switches_dropout_on():
    torch.manual_seed(5)
    tokenizer, model = fn("load_classifier")(ref.checkpoint(), 2)
    model.eval()                        # as evaluate() leaves it
    texts, labels = sentences(16)
    optimizer = fn("make_optimizer")(model, 1e-4)
    fn("train")(model, optimizer, ref.encode(texts), labels, 1, 16, 1, 0)
    assert model.training, ("after train the model is in eval mode: call model.train() at the start of train, "
                            "so that dropout regularises the fine-tune")


def test_training_is_repeatable_with_its_seed():
    texts, labels = sentences(32)
    batch = ref.encode(texts)

    def run(seed):
        torch.manual_seed(9)
        _, model = fn("load_classifier")(ref.checkpoint(), 2)
        optimizer = fn("make_optimizer")(model, 1e-3)
        return [float(v) for v in fn("train")(model, optimizer, batch, labels, 2, 8, 2, seed)]

    first, second = run(4), run(4)
    assert first == second, (f"two runs with seed=4 from the same start gave different losses:\n{first}\n{second}\n"
                             "seed the shuffling and dropout from `seed` (torch.manual_seed(seed) and a "
                             "torch.Generator().manual_seed(seed) for the order)")
    assert run(5) != first, "seed=5 gave the same losses as seed=4: the seed must decide the order and dropout"


def _groups(optimizer):
    """(lr, weight decay, number of tensors, number of elements) of each parameter group."""
    return [(float(g["lr"]), float(g["weight_decay"]), len(g["params"]), sum(p.numel() for p in g["params"]))
            for g in optimizer.param_groups if len(g["params"])]


def _at(groups, lr):
    return sum(g[2] for g in groups if abs(g[0] - lr) < 1e-12), sum(g[3] for g in groups if abs(g[0] - lr) < 1e-12)


def test_make_optimizer_gives_the_head_its_own_learning_rate():
    torch.manual_seed(0)
    _, model = fn("load_classifier")(ref.checkpoint(), 2)
    tensors = sum(1 for _ in model.parameters())
    elements = sum(p.numel() for p in model.parameters())
    optimizer = fn("make_optimizer")(model, 1e-4, 1e-3, 0.02)
    assert is_instance(optimizer, torch.optim.AdamW), "make_optimizer should return a torch.optim.AdamW"
    groups = _groups(optimizer)
    assert all(abs(g[1] - 0.02) < 1e-12 for g in groups), f"every group should have weight_decay=0.02; got {groups}"
    assert _at(groups, 1e-3) == (2, HEAD_ELEMENTS), (
        f"with head_lr=1e-3 the head (classifier.weight and .bias: 2 tensors, {HEAD_ELEMENTS} numbers) should be "
        f"at lr 1e-3; groups (lr, weight decay, tensors, numbers): {groups}")
    assert _at(groups, 1e-4) == (tensors - 2, elements - HEAD_ELEMENTS), (
        f"the other {tensors - 2} tensors of the model should be at lr 1e-4, each once; groups: {groups}")

    optimizer = fn("make_optimizer")(model, 2e-4)
    groups = _groups(optimizer)
    assert _at(groups, 2e-4) == (tensors, elements), f"without head_lr every parameter uses lr=2e-4; groups: {groups}"

    fn("freeze_encoder")(model)
    optimizer = fn("make_optimizer")(model, 1e-4, 1e-3)
    groups = _groups(optimizer)
    assert sum(g[2] for g in groups) == 2 and _at(groups, 1e-3) == (2, HEAD_ELEMENTS), (
        f"with the encoder frozen the optimizer should hold only the head's 2 tensors (at head_lr): the others "
        f"get no gradient; groups (lr, weight decay, tensors, numbers): {groups}")


def test_encode_truncates_long_texts():
    tokenizer = ref.tokenizer()
    long = " ".join(["o noble and most gentle friend, thou art a worthy lord"] * 4)
    texts = [long, "thou art a knave"]
    got = fn("encode")(tokenizer, texts, 12)
    want = ref.encode(texts, 12)
    assert tuple(got["input_ids"].shape) == (2, 12), (
        f"with max_length=12 a long text keeps 12 tokens ([CLS] … [SEP]), so the batch is (2, 12); got "
        f"{tuple(got['input_ids'].shape)} (truncation=True, max_length=max_length)")
    for key in ("input_ids", "attention_mask"):
        assert torch.equal(got[key].long(), want[key]), (
            f"{key} differs from the tokenizer's:\n{got[key]}\nexpected\n{want[key]}")
