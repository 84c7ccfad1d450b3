"""Correct: the concrete classes instead of the Auto ones, the library's own generate for greedy
decoding, log-softmax then exp, a full sort for fill-mask, and BERT's encoder called directly
with an einsum for the masked mean."""
import torch
from transformers import BertForMaskedLM, GPT2LMHeadModel, PreTrainedTokenizerFast


def load_gpt2(path):
    model = GPT2LMHeadModel.from_pretrained(path).eval()
    return PreTrainedTokenizerFast.from_pretrained(path), model


def next_token_probs(model, tokenizer, text):
    with torch.no_grad():
        ids = torch.tensor([tokenizer.encode(text)])
        return torch.log_softmax(model(ids).logits[:, -1, :], dim=-1).exp().squeeze(0)


def greedy_continuation(model, tokenizer, text, max_new_tokens):
    enc = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**enc, do_sample=False, max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens,
                             pad_token_id=tokenizer.eos_token_id, eos_token_id=None)
    return tokenizer.decode(out[0][enc["input_ids"].shape[1]:].tolist())


def load_bert(path):
    model = BertForMaskedLM.from_pretrained(path)
    model.train(False)
    return PreTrainedTokenizerFast.from_pretrained(path), model


def fill_mask(model, tokenizer, text, k):
    enc = tokenizer(text, return_tensors="pt")
    ids = enc["input_ids"][0].tolist()
    where = ids.index(tokenizer.mask_token_id)
    with torch.no_grad():
        probs = model(**enc).logits[0, where].softmax(-1)
    values, order = torch.sort(probs, descending=True)
    return [(tokenizer.convert_ids_to_tokens(order[i].item()), values[i].item()) for i in range(k)]


def sentence_embeddings(model, tokenizer, texts):
    enc = tokenizer(texts, padding="longest", return_tensors="pt")
    with torch.no_grad():
        states = model.bert(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
    mask = enc["attention_mask"].float()
    return torch.einsum("nth,nt->nh", states, mask) / mask.sum(1, keepdim=True)
