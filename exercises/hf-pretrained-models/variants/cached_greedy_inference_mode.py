"""Correct: inference_mode instead of no_grad, greedy decoding that feeds only the new token with
the key/value cache (past_key_values), fill-mask by argsort, and the mean taken with
masked_fill and the row lengths."""
import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer


def load_gpt2(path):
    return AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path).eval()


def next_token_probs(model, tokenizer, text):
    with torch.inference_mode():
        logits = model(**tokenizer([text], return_tensors="pt")).logits
        return torch.nn.functional.softmax(logits[0][-1], dim=0).clone()


def greedy_continuation(model, tokenizer, text, max_new_tokens):
    new = []
    with torch.inference_mode():
        ids = tokenizer(text, return_tensors="pt")["input_ids"]
        past = None
        for _ in range(max_new_tokens):
            out = model(input_ids=ids, past_key_values=past, use_cache=True)
            past = out.past_key_values
            ids = out.logits[:, -1:].argmax(-1)
            new.append(int(ids))
    return tokenizer.decode(new)


def load_bert(path):
    return AutoTokenizer.from_pretrained(path), AutoModelForMaskedLM.from_pretrained(path).eval()


def fill_mask(model, tokenizer, text, k):
    with torch.inference_mode():
        enc = tokenizer(text, return_tensors="pt")
        logits = model(**enc).logits[0]
        row = logits[enc["input_ids"][0] == tokenizer.mask_token_id][0]
        probs = row.softmax(-1)
        best = probs.argsort(descending=True)[:k]
        return [(tokenizer.convert_ids_to_tokens([int(i)])[0], float(probs[i])) for i in best]


def sentence_embeddings(model, tokenizer, texts):
    with torch.inference_mode():
        enc = tokenizer(texts, padding=True, return_tensors="pt")
        last = model(**enc, output_hidden_states=True).hidden_states[-1]
        keep = enc["attention_mask"].bool()
        summed = last.masked_fill(~keep.unsqueeze(-1), 0.0).sum(1)
        return (summed / keep.sum(1, keepdim=True)).clone()
