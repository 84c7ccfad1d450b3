"""The tests' own measurements, computed in the judge on its own copy of the checkpoint.

The learner's functions run in their own process, on their own model; everything they return
is compared with what these functions compute here, from the read-only checkpoint folder.
"""
import functools
import math

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from course_harness import pretrained_path

NO_DROPOUT = {"attn_pdrop": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0}


def checkpoint() -> str:
    """The tiny GPT-2's folder, as the string the learner's functions receive."""
    return str(pretrained_path("tiny-gpt2"))


@functools.cache
def tokenizer():
    return AutoTokenizer.from_pretrained(checkpoint())


def fresh_model(dropout: bool = True):
    """A new copy of the checkpoint in the judge, in eval mode (without dropout at all if asked)."""
    overrides = {} if dropout else NO_DROPOUT
    return AutoModelForCausalLM.from_pretrained(checkpoint(), **overrides).eval()


@functools.cache
def _checkpoint_parameters() -> dict:
    return {name: p.detach().clone() for name, p in fresh_model().named_parameters()}


def checkpoint_parameters() -> dict:
    """The checkpoint's parameters by name (tied weights once, as ``named_parameters`` lists them)."""
    return dict(_checkpoint_parameters())


def blocks(text: str, block_size: int) -> torch.Tensor:
    """The text's token ids cut into consecutive blocks, the remainder dropped."""
    ids = torch.tensor(tokenizer()(text)["input_ids"], dtype=torch.long)
    n = len(ids) // block_size
    return ids[:n * block_size].view(n, block_size)


@torch.no_grad()
def mean_loss(model, data: torch.Tensor, batch_size: int) -> float:
    """Mean next-token loss over every predicted token of ``data``, in eval mode."""
    model.eval()
    total = 0.0
    for batch in data.split(batch_size):
        total += model(input_ids=batch, labels=batch).loss.item() * len(batch)
    return total / len(data)


def learner_parameters(model) -> dict:
    """The parameters of a model that lives in the learner's process, copied here by name."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def with_parameters(parameters: dict):
    """A judge-side copy of the checkpoint holding ``parameters`` (by name), in eval mode."""
    model = fresh_model()
    mine = dict(model.named_parameters())
    missing = sorted(set(mine) - set(parameters))
    if missing:
        raise AssertionError(f"your model lacks parameters the checkpoint has ({', '.join(missing[:3])}…): "
                             "fine-tune the model that AutoModelForCausalLM.from_pretrained(path) gives.")
    with torch.no_grad():
        for name, p in mine.items():
            if tuple(parameters[name].shape) != tuple(p.shape):
                raise AssertionError(f"{name} has shape {tuple(parameters[name].shape)} in your model, "
                                     f"{tuple(p.shape)} in the checkpoint.")
            p.copy_(parameters[name])
    return model


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return torch.nn.functional.cosine_similarity(a.flatten().double(), b.flatten().double(), dim=0).item()


def full_batch_training(data: torch.Tensor, steps: int, lr: float):
    """AdamW on the whole of ``data`` as one batch per step, without dropout: the trajectory that
    accumulation over micro-batches must reproduce. Returns (losses, embedding gradients, params)."""
    model = fresh_model(dropout=False).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    losses, grads = [], []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=data, labels=data).loss
        loss.backward()
        losses.append(loss.item())
        grads.append(model.get_input_embeddings().weight.grad.detach().clone())
        optimizer.step()
    return losses, grads, {name: p.detach().clone() for name, p in model.named_parameters()}


@torch.no_grad()
def sample(model, prompt: str, max_new_tokens: int, seed: int) -> str:
    """``model.generate`` with sampling after ``torch.manual_seed(seed)``: the continuation only."""
    model.eval()
    enc = tokenizer()(prompt, return_tensors="pt")
    torch.manual_seed(seed)
    out = model.generate(**enc, do_sample=True, max_new_tokens=max_new_tokens,
                         pad_token_id=tokenizer().eos_token_id)
    return tokenizer().decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)


def perplexity(loss: float) -> float:
    return math.exp(loss)


def update_error(tuned: dict, expected: dict) -> float:
    """How far the learner's change of the weights is from the expected change, relative to its size."""
    start = checkpoint_parameters()
    missing = sorted(set(expected) - set(tuned))
    if missing:
        raise AssertionError(f"the trained model lacks parameters ({', '.join(missing[:3])}…).")
    off = sum(((tuned[n].double() - expected[n].double()) ** 2).sum() for n in expected)
    moved = sum(((expected[n].double() - start[n].double()) ** 2).sum() for n in expected)
    return math.sqrt(off / moved)
