"""generate_text samples from the model in whatever mode it is in: in training mode, with dropout on.

Caught by: test_generate_text_uses_eval_mode_and_its_seed
"""
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(path):
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    return tokenizer, model


def make_blocks(tokenizer, text, block_size):
    ids = torch.tensor(tokenizer(text)["input_ids"], dtype=torch.long)
    n = len(ids) // block_size
    return ids[:n * block_size].view(n, block_size)


def mean_loss(model, blocks, batch_size):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in blocks.split(batch_size):
            # labels=input_ids: the model shifts them itself (position t predicts token t + 1)
            loss = model(input_ids=batch, labels=batch).loss
            total += loss.item() * len(batch)
            count += len(batch)
    return total / count


def micro_batches(blocks, batch_size, generator):
    """Micro-batches of batch_size blocks, in a new random order on every pass over the blocks."""
    while True:
        order = torch.randperm(len(blocks), generator=generator)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            yield blocks[order[start:start + batch_size]]


def finetune(model, blocks, *, steps, lr, batch_size, accumulation_steps=1, seed=0):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    batches = micro_batches(blocks, batch_size, torch.Generator().manual_seed(seed))
    losses = []
    model.train()
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for _ in range(accumulation_steps):
            batch = next(batches)
            loss = model(input_ids=batch, labels=batch).loss / accumulation_steps
            loss.backward()
            total += loss.item()
        optimizer.step()
        losses.append(total)
    model.eval()
    return losses


def generate_text(model, tokenizer, prompt, max_new_tokens, seed):
    enc = tokenizer(prompt, return_tensors="pt")
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(**enc, do_sample=True, max_new_tokens=max_new_tokens,
                             pad_token_id=tokenizer.eos_token_id)
    return tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
