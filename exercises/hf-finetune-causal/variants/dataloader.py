"""A torch DataLoader does the shuffling (shuffle=True with a seeded generator, drop_last=True, a new
epoch whenever it runs out); blocks by Tensor.unfold; mean_loss over an unshuffled DataLoader;
the loss scaled by multiplying; gradients zeroed after each step.
"""
import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(path):
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    return tokenizer, model


def make_blocks(tokenizer, text, block_size):
    ids = torch.as_tensor(tokenizer(text).input_ids, dtype=torch.int64)
    return ids.unfold(0, block_size, block_size).contiguous()   # windows of block_size, step block_size


@torch.no_grad()
def mean_loss(model, blocks, batch_size):
    model.eval()
    weighted = torch.zeros((), dtype=torch.float64)
    for batch in DataLoader(blocks, batch_size=batch_size, shuffle=False):
        weighted += model(input_ids=batch, labels=batch).loss.double() * batch.shape[0]
    return (weighted / blocks.shape[0]).item()


def forever(loader):
    while True:
        yield from loader


def finetune(model, blocks, *, steps, lr, batch_size, accumulation_steps=1, seed=0):
    loader = DataLoader(blocks, batch_size=batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    micro_batches = forever(loader)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scale = 1.0 / accumulation_steps
    losses = []
    model.train()
    for step in range(steps):
        running = torch.zeros(())
        for micro in range(accumulation_steps):
            batch = next(micro_batches)
            loss = model(input_ids=batch, labels=batch).loss * scale
            loss.backward()
            running += loss.detach()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(running))
    model.eval()
    return losses


def generate_text(model, tokenizer, prompt, max_new_tokens, seed):
    model.eval()
    enc = tokenizer([prompt], return_tensors="pt")
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(**enc, do_sample=True, max_new_tokens=max_new_tokens,
                             pad_token_id=tokenizer.eos_token_id)
    prompt_length = enc["input_ids"].shape[-1]
    return tokenizer.decode(out[0][prompt_length:].tolist(), skip_special_tokens=True)
