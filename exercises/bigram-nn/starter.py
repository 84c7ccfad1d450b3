import torch
import torch.nn as nn
from torch.nn import functional as F


class BigramLanguageModel(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        # TODO: one nn.Embedding that maps a token to the logits of the next token

    def forward(self, idx, targets=None):
        # TODO: logits (B, T, vocab_size); with targets, also the cross-entropy loss
        raise NotImplementedError

    def generate(self, idx, max_new_tokens):
        # TODO: sample max_new_tokens tokens, one at a time, and append each to idx
        raise NotImplementedError


def get_batch(data, block_size, batch_size):
    # TODO: batch_size random windows of block_size tokens (x) and the tokens one step later (y)
    raise NotImplementedError


def train(model, data, *, steps, batch_size, block_size, lr):
    # TODO: AdamW on the model's parameters; one optimizer step per batch; return the losses
    raise NotImplementedError
