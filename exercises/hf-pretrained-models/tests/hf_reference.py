"""The tests' own copy of each checkpoint and the reference answers, computed in the judge.

The learner's functions run in their own process; these run here, on the same read-only
checkpoint folders, so every value the learner returns is compared with the model itself.
"""
import functools

import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

from course_harness import pretrained_path

PROMPTS = ["ROMEO:\n", "First Citizen:\nBefore we proceed any further, hear me", "KING RICHARD III:\nNow is the"]
MASKED = ["good [MASK], my lord.", "what say you to the [MASK] of the king?", "[MASK] art a villain."]


def gpt2_path() -> str:
    return str(pretrained_path("tiny-gpt2"))


def bert_path() -> str:
    return str(pretrained_path("tiny-bert"))


@functools.cache
def gpt2():
    """(tokenizer, model) of the tiny GPT-2, in eval mode."""
    return AutoTokenizer.from_pretrained(gpt2_path()), AutoModelForCausalLM.from_pretrained(gpt2_path()).eval()


@functools.cache
def bert():
    """(tokenizer, model) of the tiny BERT masked LM, in eval mode."""
    return AutoTokenizer.from_pretrained(bert_path()), AutoModelForMaskedLM.from_pretrained(bert_path()).eval()


@torch.no_grad()
def next_token_probs(text: str) -> torch.Tensor:
    tokenizer, model = gpt2()
    return torch.softmax(model(**tokenizer(text, return_tensors="pt")).logits[0, -1], dim=-1)


@torch.no_grad()
def greedy(text: str, n: int) -> str:
    """``model.generate`` without sampling: the library's own greedy decoding."""
    tokenizer, model = gpt2()
    enc = tokenizer(text, return_tensors="pt")
    out = model.generate(**enc, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=None)
    return tokenizer.decode(out[0, enc["input_ids"].shape[1]:])


@torch.no_grad()
def mask_probs(text: str) -> torch.Tensor:
    tokenizer, model = bert()
    enc = tokenizer(text, return_tensors="pt")
    position = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0, 0]
    return torch.softmax(model(**enc).logits[0, position], dim=-1)


@torch.no_grad()
def embedding_alone(text: str) -> torch.Tensor:
    """A text's mean last-layer state with no padding at all (a batch of one)."""
    tokenizer, model = bert()
    enc = tokenizer(text, return_tensors="pt")
    return model(**enc, output_hidden_states=True).hidden_states[-1][0].mean(dim=0)
