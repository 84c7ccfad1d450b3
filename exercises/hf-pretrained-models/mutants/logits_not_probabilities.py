"""Returns the raw logits of the last position instead of their softmax.

Caught by: test_next_token_probs_are_the_softmax_at_the_last_position, test_next_token_probs_for_prompts_of_every_length"""
import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer


def load_gpt2(path):
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    model.eval()
    return tokenizer, model


@torch.no_grad()
def next_token_probs(model, tokenizer, text):
    enc = tokenizer(text, return_tensors="pt")
    logits = model(**enc).logits
    return logits[0, -1]


@torch.no_grad()
def greedy_continuation(model, tokenizer, text, max_new_tokens):
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    start = ids.shape[1]
    for _ in range(max_new_tokens):
        logits = model(input_ids=ids).logits
        next_id = logits[0, -1].argmax()
        ids = torch.cat([ids, next_id.view(1, 1)], dim=1)
    return tokenizer.decode(ids[0, start:])


def load_bert(path):
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForMaskedLM.from_pretrained(path)
    model.eval()
    return tokenizer, model


@torch.no_grad()
def fill_mask(model, tokenizer, text, k):
    enc = tokenizer(text, return_tensors="pt")
    position = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0, 0]
    probs = torch.softmax(model(**enc).logits[0, position], dim=-1)
    top = torch.topk(probs, k)
    return [(tokenizer.convert_ids_to_tokens(int(i)), float(p)) for p, i in zip(top.values, top.indices)]


@torch.no_grad()
def sentence_embeddings(model, tokenizer, texts):
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    hidden = model(**enc, output_hidden_states=True).hidden_states[-1]
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1)
