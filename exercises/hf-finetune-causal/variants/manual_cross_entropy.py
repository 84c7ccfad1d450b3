"""The loss written by hand: cross-entropy of the logits at positions 0..T-2 against the tokens at 1..T-1
(no labels passed to the model), summed over tokens and divided by their count in mean_loss;
torch.inference_mode for measuring and sampling; blocks built from a list; an explicit epoch loop.
"""
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(path):
    return AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path)


def make_blocks(tokenizer, text, block_size):
    ids = tokenizer.encode(text)
    rows = [ids[i:i + block_size] for i in range(0, len(ids) - block_size + 1, block_size)]
    return torch.tensor(rows, dtype=torch.long).reshape(-1, block_size)


def next_token_loss(model, batch, reduction="mean"):
    logits = model(input_ids=batch).logits            # (B, T, V)
    predicted = logits[:, :-1].reshape(-1, logits.shape[-1])
    targets = batch[:, 1:].reshape(-1)
    return F.cross_entropy(predicted, targets, reduction=reduction)


def mean_loss(model, blocks, batch_size):
    model.eval()
    total, tokens = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(blocks), batch_size):
            batch = blocks[start:start + batch_size]
            total += next_token_loss(model, batch, reduction="sum").item()
            tokens += batch[:, 1:].numel()
    return total / tokens


def finetune(model, blocks, *, steps, lr, batch_size, accumulation_steps=1, seed=0):
    generator = torch.Generator()
    generator.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    per_epoch = len(blocks) // batch_size
    order, position = None, per_epoch
    losses = []
    model.train()
    optimizer.zero_grad()
    for _ in range(steps):
        step_loss = 0.0
        for _ in range(accumulation_steps):
            if position == per_epoch:  # a new pass over the blocks, in a new order
                order, position = torch.randperm(len(blocks), generator=generator), 0
            rows = order[position * batch_size:(position + 1) * batch_size]
            position += 1
            loss = next_token_loss(model, blocks[rows])
            (loss / accumulation_steps).backward()
            step_loss += loss.item() / accumulation_steps
        optimizer.step()
        optimizer.zero_grad()
        losses.append(step_loss)
    model.eval()
    return losses


def generate_text(model, tokenizer, prompt, max_new_tokens, seed):
    model.eval()
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    torch.manual_seed(seed)
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True,
                             max_new_tokens=max_new_tokens, pad_token_id=tokenizer.eos_token_id)
    new = out[0, ids.shape[1]:]
    return tokenizer.decode(new, skip_special_tokens=True)
