"""Public tests: loading the checkpoint with a new head, encoding, head-only training, a real fine-tune."""
import torch

import classifier_reference as ref
import sentiment_data as data
from course_harness import artifacts, get_function

SIGNATURES = {
    "load_classifier": "load_classifier(path, num_labels=2, **config) -> (tokenizer, model)",
    "encode": "encode(tokenizer, texts, max_length=32) -> dict",
    "freeze_encoder": "freeze_encoder(model) -> None",
    "make_optimizer": "make_optimizer(model, lr, head_lr=None, weight_decay=0.01) -> torch.optim.AdamW",
    "evaluate": "evaluate(model, batch, labels) -> dict",
    "train": "train(model, optimizer, batch, labels, epochs, batch_size, accumulation_steps=1, seed=0) -> list[float]",
}
SEED = 0
LR, HEAD_LR = 3e-4, 3e-3
EPOCHS, BATCH_SIZE, ACCUMULATION = 4, 16, 2
HELD_OUT_ACCURACY = 0.75
"""Measured on the held-out sentences with this recipe (seeds 0-29 for the load and the training): the
reference scores 0.83 to 0.92 (mean 0.886, 0.891 with SEED); training with the labels out of step with the
inputs 0.41 to 0.63 (10 seeds); a head trained on the frozen encoder 0.55 to 0.75 (mean 0.63, 10 seeds);
the same architecture trained from scratch 0.50 to 0.94 (mean 0.75)."""


def fn(name):
    return get_function(name, SIGNATURES[name])


def test_load_classifier_keeps_the_pretrained_encoder():
    torch.manual_seed(SEED)
    tokenizer, model = fn("load_classifier")(ref.checkpoint(), 3)
    texts = ["thou art a noble and gentle friend", "thou art a vile and wretched knave"]
    for text in texts:
        got, want = list(tokenizer(text)["input_ids"]), ref.tokenizer()(text)["input_ids"]
        assert got == want, (f"your tokenizer turns {text!r} into {got}, the checkpoint's own gives {want}: "
                             "use AutoTokenizer.from_pretrained(path).")
    state = ref.learner_state(model)
    for name, weight in ref.checkpoint_encoder().items():
        assert name in state, (f"your model has no {name}: load AutoModelForSequenceClassification.from_pretrained("
                               "path, num_labels=…), a BERT encoder with a classification head.")
        if not torch.equal(state[name], weight):
            raise AssertionError(
                f"{name} is not the checkpoint's (largest difference {(state[name] - weight).abs().max().item():.3g}): "
                "the encoder must start from the pre-trained weights (from_pretrained), not from a fresh "
                "initialisation (from_config) — fine-tuning is not training from scratch.")
    assert "classifier.weight" in state and tuple(state["classifier.weight"].shape) == (3, 128), (
        "with num_labels=3 the head `classifier` should map the 128 features to 3 scores; your model has "
        f"{tuple(state['classifier.weight'].shape) if 'classifier.weight' in state else 'no classifier'}.")
    logits = model(**ref.encode(texts)).logits
    assert tuple(logits.shape) == (2, 3), (
        f"two texts and 3 labels should give logits of shape (2, 3), got {tuple(logits.shape)}")


def test_encode_pads_and_masks_like_the_tokenizer():
    tokenizer = ref.tokenizer()
    texts = ["o gentle friend", "what a villainous and deceitful fool art thou", "thou art a knave"]
    got = fn("encode")(tokenizer, texts, 32)
    want = ref.encode(texts, 32)
    for key in ("input_ids", "attention_mask"):
        assert key in got, f"encode must return a dict with {key!r}; it has {sorted(got.keys())}"
        value = got[key]
        assert isinstance(value, torch.Tensor), (
            f"{key} should be a tensor (return_tensors=\"pt\"), got {type(value).__name__}")
        assert tuple(value.shape) == tuple(want[key].shape), (
            f"{key} has shape {tuple(value.shape)}, expected {tuple(want[key].shape)}: pad every text to the "
            "longest one in the list (padding=True), not to max_length.")
        assert torch.equal(value.long(), want[key]), (
            f"{key} differs from the tokenizer's:\n{value}\nexpected\n{want[key]}")


def test_freeze_encoder_trains_only_the_head():
    torch.manual_seed(SEED + 1)
    tokenizer, model = fn("load_classifier")(ref.checkpoint(), 2)
    before = ref.learner_state(model)
    fn("freeze_encoder")(model)
    trainable = sorted(name for name, p in model.named_parameters() if p.requires_grad)
    assert trainable == sorted(ref.HEAD), (
        f"after freeze_encoder exactly the head {list(ref.HEAD)} should require gradients; these do: "
        f"{trainable[:6]}{' …' if len(trainable) > 6 else ''}")
    train_set, _ = data.make_dataset()
    train_set = train_set[:64]
    batch = fn("encode")(tokenizer, data.texts(train_set), 32)
    optimizer = fn("make_optimizer")(model, 1e-2)
    fn("train")(model, optimizer, batch, data.labels(train_set), 1, 16, 1, 0)
    after = ref.learner_state(model)
    for name, weight in ref.checkpoint_encoder().items():
        assert torch.equal(after[name], weight), (
            f"{name} changed while the encoder was frozen (largest change "
            f"{(after[name] - weight).abs().max().item():.3g}): requires_grad=False on every parameter of "
            "model.base_model keeps it out of training.")
    for name in after:
        if name not in ref.HEAD and not torch.equal(after[name], before[name]):
            raise AssertionError(f"{name} changed while the encoder was frozen: only the head may train.")
    moved = max((after[n] - before[n]).abs().max().item() for n in ref.HEAD)
    assert moved > 1e-4, f"the head did not train (largest change {moved:.3g}): it must stay trainable."


def test_fine_tuning_generalises_to_held_out_sentences():
    train_set, held_out = data.make_dataset()
    torch.manual_seed(SEED)
    tokenizer, model = fn("load_classifier")(ref.checkpoint(), 2)
    x_train, y_train = fn("encode")(tokenizer, data.texts(train_set), 32), data.labels(train_set)
    x_held, y_held = ref.encode(data.texts(held_out)), data.labels(held_out)
    before = ref.evaluate(ref.with_state(ref.learner_state(model)), x_held, y_held)

    optimizer = fn("make_optimizer")(model, LR, HEAD_LR)
    losses = fn("train")(model, optimizer, x_train, y_train, EPOCHS, BATCH_SIZE, ACCUMULATION, SEED)
    losses = [float(v) for v in losses]
    steps = EPOCHS * len(train_set) // (BATCH_SIZE * ACCUMULATION)
    tuned = ref.with_state(ref.learner_state(model))
    after = ref.evaluate(tuned, x_held, y_held)
    seen = ref.evaluate(tuned, ref.encode(data.texts(train_set)), y_train)

    artifacts().line("Training loss (mean cross-entropy of each optimizer step)", losses,
                     x=list(range(1, len(losses) + 1)), x_label="optimizer step", y_label="loss")
    probs_before = before["logits"].softmax(-1)[:, 1]
    probs_after = after["logits"].softmax(-1)[:, 1]
    lines = [f"held-out accuracy: {before['accuracy']:.3f} before fine-tuning, {after['accuracy']:.3f} after "
             f"(training set: {seen['accuracy']:.3f})", "", "P(praise) before → after   label   sentence"]
    for i in range(12):
        text, label = held_out[i]
        lines.append(f"  {probs_before[i].item():.2f} → {probs_after[i].item():.2f}        "
                     f"{'praise' if label else 'insult'}   {text}")
    wrong = [text for (text, label), p in zip(held_out, probs_after.tolist()) if (p > 0.5) != bool(label)]
    lines += ["", f"held-out sentences still misclassified ({len(wrong)}):"] + [f"  {t}" for t in wrong[:15]]
    artifacts().text("Held-out predictions before and after fine-tuning", "\n".join(lines))
    artifacts().metric("held_out_accuracy", after["accuracy"])

    assert len(losses) == steps, (f"{len(train_set)} examples, {EPOCHS} epochs and micro-batches of {BATCH_SIZE} "
                                  f"accumulated {ACCUMULATION} at a time make {steps} optimizer steps; train returned "
                                  f"{len(losses)} losses (one per optimizer step).")
    assert before["accuracy"] <= 0.75, (f"before any training the new head should be near chance on held-out "
                                        f"sentences, but it scores {before['accuracy']:.3f}")
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4 - 0.1, f"the training loss did not go down: {losses}"
    assert after["accuracy"] >= HELD_OUT_ACCURACY, (
        f"after fine-tuning the model classifies {after['accuracy']:.3f} of the held-out sentences correctly "
        f"(training sentences: {seen['accuracy']:.3f}); a correct fine-tune gets at least {HELD_OUT_ACCURACY}.")
