"""Hidden tests: every prompt and length, no dropout and no gradients, fill-mask details, embeddings."""
import torch

import hf_reference as ref
from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "load_gpt2": "load_gpt2(path) -> (tokenizer, model)",
    "next_token_probs": "next_token_probs(model, tokenizer, text) -> torch.Tensor",
    "greedy_continuation": "greedy_continuation(model, tokenizer, text, max_new_tokens) -> str",
    "load_bert": "load_bert(path) -> (tokenizer, model)",
    "fill_mask": "fill_mask(model, tokenizer, text, k) -> list[tuple[str, float]]",
    "sentence_embeddings": "sentence_embeddings(model, tokenizer, texts) -> torch.Tensor",
}
TEXTS = ["Thou art a villain.", "Good morrow, cousin; how fares the king this day?", "Peace!",
         "What light through yonder window breaks? It is the east, and Juliet is the sun."]


def fn(name):
    return get_function(name, SIGNATURES[name])


def gpt2():
    return fn("load_gpt2")(ref.gpt2_path())


def bert():
    return fn("load_bert")(ref.bert_path())


def test_next_token_probs_for_prompts_of_every_length():
    tokenizer, model = gpt2()
    for prompt in ref.PROMPTS + ["a", "O"]:
        probs = fn("next_token_probs")(model, tokenizer, prompt)
        assert_tensor_close(probs, ref.next_token_probs(prompt), name=f"next_token_probs({prompt!r})",
                            atol=1e-5, rtol=1e-4)


def test_predictions_are_repeatable_and_carry_no_gradients():
    tokenizer, model = gpt2()
    first = fn("next_token_probs")(model, tokenizer, ref.PROMPTS[2])
    second = fn("next_token_probs")(model, tokenizer, ref.PROMPTS[2])
    assert torch.equal(first, second), "the same prompt gave two different distributions: dropout is on (model.eval())"
    assert not first.requires_grad, ("next_token_probs returned a tensor that tracks gradients: run the model under "
                                     "torch.no_grad() for predictions")
    tokenizer, model = bert()
    emb = fn("sentence_embeddings")(model, tokenizer, TEXTS[:2])
    assert not emb.requires_grad, "sentence_embeddings returned a tensor that tracks gradients: use torch.no_grad()"


def test_greedy_continuation_for_several_prompts_and_lengths():
    tokenizer, model = gpt2()
    for prompt, n in [(ref.PROMPTS[0], 1), (ref.PROMPTS[2], 7), ("JULIET:\n", 25)]:
        got = fn("greedy_continuation")(model, tokenizer, prompt, n)
        want = ref.greedy(prompt, n)
        assert got == want, f"greedy continuation of {prompt!r} with {n} new tokens:\nexpected {want!r}\ngot      {got!r}"


def test_fill_mask_uses_the_masks_own_position_and_respects_k():
    tokenizer, model = bert()
    for text, k in [(ref.MASKED[1], 3), (ref.MASKED[2], 8)]:
        got = fn("fill_mask")(model, tokenizer, text, k)
        assert len(got) == k, f"fill_mask({text!r}, k={k}) returned {len(got)} candidates"
        probs = ref.mask_probs(text)
        top = torch.topk(probs, k)
        want = [ref.bert()[0].convert_ids_to_tokens(int(i)) for i in top.indices]
        assert [t for t, _ in got] == want, f"top {k} for {text!r}: expected {want}, got {[t for t, _ in got]}"
        values = [p for _, p in got]
        assert values == sorted(values, reverse=True), f"candidates are not ordered most likely first: {got}"
        for (token, p), q in zip(got, top.values.tolist()):
            assert abs(p - q) < 1e-5, (f"probability of {token!r} in {text!r}: expected {q:.6f} (softmax over the "
                                       f"vocabulary at the mask), got {p:.6f}")


def test_sentence_embeddings_average_the_real_tokens_only():
    tokenizer, model = bert()
    got = fn("sentence_embeddings")(model, tokenizer, TEXTS)
    hidden = ref.bert()[1].config.hidden_size
    assert tuple(got.shape) == (len(TEXTS), hidden), f"expected shape ({len(TEXTS)}, {hidden}), got {tuple(got.shape)}"
    for i, text in enumerate(TEXTS):
        # Alone, a text has no padding: its row in a padded batch must be the same vector.
        assert_tensor_close(got[i], ref.embedding_alone(text), name=f"the embedding of {text!r} in a padded batch",
                            atol=2e-5, rtol=1e-4)
