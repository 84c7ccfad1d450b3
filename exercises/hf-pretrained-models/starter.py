import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer


def load_gpt2(path):
    """(tokenizer, model): the causal LM at `path`, ready for predictions."""
    raise NotImplementedError


def next_token_probs(model, tokenizer, text):
    """Probabilities (vocab,) of the token that follows `text`."""
    raise NotImplementedError


def greedy_continuation(model, tokenizer, text, max_new_tokens):
    """The `max_new_tokens` most likely next tokens, one at a time, decoded (without `text`)."""
    raise NotImplementedError


def load_bert(path):
    """(tokenizer, model): the masked LM at `path`, ready for predictions."""
    raise NotImplementedError


def fill_mask(model, tokenizer, text, k):
    """The k most likely tokens for the one mask token in `text`: [(token, probability)], best first."""
    raise NotImplementedError


def sentence_embeddings(model, tokenizer, texts):
    """(len(texts), hidden): the mean of the last hidden layer over each text's real tokens."""
    raise NotImplementedError
