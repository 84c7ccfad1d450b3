import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(path):
    # TODO: the checkpoint's tokenizer and its causal language model, both from the folder `path`
    raise NotImplementedError


def make_blocks(tokenizer, text, block_size):
    # TODO: the text's token ids, cut into consecutive blocks of block_size tokens: a LongTensor
    # (N, block_size); drop the tokens left over at the end
    raise NotImplementedError


def mean_loss(model, blocks, batch_size):
    # TODO: the model's mean next-token loss over all the blocks (a float), in eval mode and without
    # autograd; batches of batch_size blocks, each counted by its number of blocks
    raise NotImplementedError


def finetune(model, blocks, *, steps, lr, batch_size, accumulation_steps=1, seed=0):
    # TODO: AdamW(model.parameters(), lr=lr); `steps` optimizer steps, each after the backward passes
    # of accumulation_steps micro-batches of batch_size blocks (loss divided by accumulation_steps);
    # train mode while training, eval mode at the end; return the list of the steps' losses
    raise NotImplementedError


def generate_text(model, tokenizer, prompt, max_new_tokens, seed):
    # TODO: torch.manual_seed(seed), then model.generate with do_sample=True; return the new text only
    raise NotImplementedError
