"""Public tests: loading both checkpoints, the next-token distribution, greedy decoding, fill-mask."""
import torch

import hf_reference as ref
from course_harness import artifacts, assert_tensor_close, get_function

SIGNATURES = {
    "load_gpt2": "load_gpt2(path) -> (tokenizer, model)",
    "next_token_probs": "next_token_probs(model, tokenizer, text) -> torch.Tensor",
    "greedy_continuation": "greedy_continuation(model, tokenizer, text, max_new_tokens) -> str",
    "load_bert": "load_bert(path) -> (tokenizer, model)",
    "fill_mask": "fill_mask(model, tokenizer, text, k) -> list[tuple[str, float]]",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def test_load_gpt2_gives_the_checkpoint_with_its_head_ready_for_inference():
    tokenizer, model = fn("load_gpt2")(ref.gpt2_path())
    assert not model.training, "the model is in training mode (dropout on): call model.eval() for predictions"
    ids = tokenizer("ROMEO:\n")["input_ids"]
    assert list(ids) == ref.gpt2()[0]("ROMEO:\n")["input_ids"], "the tokenizer is not the checkpoint's own"
    logits = model(input_ids=torch.tensor([ids])).logits
    assert logits.shape[-1] == len(ref.gpt2()[0]), (
        f"the model returns {logits.shape[-1]} values per position; a language-model head returns one per "
        "vocabulary entry (AutoModelForCausalLM, not AutoModel)")
    assert_tensor_close(model.lm_head.weight.detach(), ref.gpt2()[1].lm_head.weight, name="the LM head's weights",
                        atol=0, rtol=0)


def test_next_token_probs_are_the_softmax_at_the_last_position():
    tokenizer, model = fn("load_gpt2")(ref.gpt2_path())
    probs = fn("next_token_probs")(model, tokenizer, ref.PROMPTS[0])
    assert_tensor_close(probs, ref.next_token_probs(ref.PROMPTS[0]), name="next_token_probs(\"ROMEO:\\n\")",
                        atol=1e-5, rtol=1e-4)


def test_greedy_continuation_matches_generate_without_sampling():
    tokenizer, model = fn("load_gpt2")(ref.gpt2_path())
    got = fn("greedy_continuation")(model, tokenizer, ref.PROMPTS[1], 12)
    want = ref.greedy(ref.PROMPTS[1], 12)
    assert isinstance(got, str), f"greedy_continuation should return the decoded text (a str), got {type(got).__name__}"
    assert got == want, f"greedy continuation of {ref.PROMPTS[1]!r}:\nexpected {want!r}\ngot      {got!r}"
    artifacts().text("Greedy continuations (tiny GPT-2)", "\n\n".join(
        f"{p}{fn('greedy_continuation')(model, tokenizer, p, 30)}" for p in ref.PROMPTS))


def test_fill_mask_ranks_the_tokens_for_the_mask():
    tokenizer, model = fn("load_bert")(ref.bert_path())
    assert not model.training, "the BERT model is still in training mode: call model.eval()"
    text = ref.MASKED[0]
    got = fn("fill_mask")(model, tokenizer, text, 5)
    probs = ref.mask_probs(text)
    top = torch.topk(probs, 5)
    want = [(ref.bert()[0].convert_ids_to_tokens(int(i)), float(p)) for p, i in zip(top.values, top.indices)]
    assert [t for t, _ in got] == [t for t, _ in want], f"top 5 for {text!r}: expected {want}, got {got}"
    for (token, p), (_, q) in zip(got, want):
        assert abs(p - q) < 1e-5, f"probability of {token!r}: expected {q:.6f}, got {p:.6f}"
    artifacts().text("Fill-mask (tiny BERT)", "\n".join(
        f"{t}  →  " + ", ".join(f"{tok} {p:.3f}" for tok, p in fn("fill_mask")(model, tokenizer, t, 5))
        for t in ref.MASKED))
