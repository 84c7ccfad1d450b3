"""Recipes for the course's two tiny Hugging Face checkpoints, pre-trained on tiny Shakespeare.

Jobs have no network, so the Hugging Face exercises cannot download ``gpt2`` or
``bert-base-uncased``; the platform makes small models of the same families with ``transformers``
and saves them with ``save_pretrained``, so learners load them exactly as they would a Hub model
(``AutoTokenizer.from_pretrained(path)``, ``AutoModelForCausalLM.from_pretrained(path)``…).

Deterministic: fixed seeds, one thread, a fixed number of steps (not a time budget), so the
same machine builds the same bytes (``courseware.pretrained`` records their checksums). Run by
``python -m courseware models build``; each takes a few CPU minutes at most.
"""
from __future__ import annotations

import math
from pathlib import Path

VOCAB_SIZE = 2048
CONTEXT = 128
"""Positions the models know (``n_positions`` / ``max_position_embeddings``)."""
BLOCK = 64
"""Tokens per training sequence."""
BATCH = 32
STEPS = 700
LEARNING_RATE = 2e-3
WARMUP_STEPS = 50
SEED = 1337
VAL_FRACTION = 0.1
EVAL_BATCHES = 20


def _determinism():
    """torch, seeded and on one thread (reductions split over threads can differ in the last bit)."""
    import torch

    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    return torch


def _lines(corpus: Path) -> list[str]:
    return corpus.read_text(encoding="utf-8").splitlines()


def _schedule(step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth: the learning-rate factor at ``step``."""
    if step < WARMUP_STEPS:
        return (step + 1) / WARMUP_STEPS
    progress = (step - WARMUP_STEPS) / max(1, STEPS - WARMUP_STEPS)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def _train(model, batches, eval_loss) -> dict:
    """AdamW with warm-up and cosine decay for STEPS steps; the held-out loss before and after."""
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule)
    before = eval_loss(model)
    model.train()
    for step in range(STEPS):
        loss = model(**batches(step)).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
    after = eval_loss(model)
    return {"steps": STEPS, "batch": BATCH, "block": BLOCK, "val_loss_before": round(before, 4),
            "val_loss_after": round(after, 4)}


def _save(model, tokenizer, out_dir: Path) -> None:
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


# -- GPT-2 ------------------------------------------------------------------------------------------
def gpt2_tokenizer(lines: list[str]):
    """A byte-level BPE tokenizer (GPT-2's scheme) trained on ``lines``, as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator((line + "\n" for line in lines), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                   unk_token="<|endoftext|>", pad_token="<|endoftext|>",
                                   model_max_length=CONTEXT)


def build_gpt2(corpus: Path, out_dir: Path) -> dict:
    """Train the tokenizer and a 2-layer GPT-2 on tiny Shakespeare; save both in ``out_dir``."""
    torch = _determinism()
    from transformers import GPT2Config, GPT2LMHeadModel

    text = corpus.read_text(encoding="utf-8")
    tokenizer = gpt2_tokenizer(text.splitlines())
    ids = torch.tensor(tokenizer.backend_tokenizer.encode(text).ids, dtype=torch.long)
    split = int(len(ids) * (1 - VAL_FRACTION))
    train, val = ids[:split], ids[split:]
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=CONTEXT, n_embd=128, n_layer=2, n_head=4,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    model = GPT2LMHeadModel(config)
    sampler = torch.Generator().manual_seed(SEED)

    def batches(step: int) -> dict:
        starts = torch.randint(len(train) - BLOCK, (BATCH,), generator=sampler)
        x = torch.stack([train[s:s + BLOCK] for s in starts.tolist()])
        return {"input_ids": x, "labels": x}  # the model shifts the labels itself

    def eval_loss(m) -> float:
        m.eval()
        starts = torch.arange(EVAL_BATCHES * BATCH) * ((len(val) - BLOCK) // (EVAL_BATCHES * BATCH))
        with torch.no_grad():
            losses = [m(input_ids=x, labels=x).loss.item() for x in
                      torch.stack([val[s:s + BLOCK] for s in starts.tolist()]).split(BATCH)]
        return sum(losses) / len(losses)

    facts = _train(model, batches, eval_loss)
    _save(model, tokenizer, out_dir)
    return {"family": "gpt2", "parameters": sum(p.numel() for p in model.parameters()),
            "vocab": len(tokenizer), **facts}


# -- BERT -------------------------------------------------------------------------------------------
MASK_PROBABILITY = 0.15


def bert_tokenizer(lines: list[str]):
    """A lower-casing WordPiece tokenizer (BERT's scheme) made from ``lines``, with [CLS] … [SEP]."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(vocab=wordpiece_vocab(lines, specials), unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[(s, tok.token_to_id(s)) for s in ("[CLS]", "[SEP]")])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=CONTEXT)


def wordpiece_vocab(lines: list[str], specials: list[str]) -> dict[str, int]:
    """WordPiece's vocabulary, from the pieces a byte-pair encoding cuts the corpus's words into.

    ``tokenizers``' WordPiece trainer is not repeatable: it numbers the ``##`` pieces in a different
    order on every run, and ties between merges then go differently, so two builds disagree on a
    few pieces. Its BPE trainer (without a prefix) is repeatable, so the pieces come from it: the
    first piece of each word as it is and the others with ``##``, ranked by how often they occur
    (ties alphabetically), after every character in both forms so that no word is unknown.
    """
    from collections import Counter

    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE(unk_token="[UNK]"))
    bpe.normalizer = normalizers.BertNormalizer(lowercase=True)
    bpe.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    bpe.train_from_iterator(lines, trainer=trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=specials,
                                                                show_progress=False))
    words = Counter(word for line in lines
                    for word, _ in bpe.pre_tokenizer.pre_tokenize_str(bpe.normalizer.normalize_str(line)))
    pieces: Counter[str] = Counter()
    alphabet: set[str] = set()
    for word, count in words.items():
        for i, token in enumerate(bpe.model.tokenize(word)):
            pieces[token.value if i == 0 else "##" + token.value] += count
        alphabet.update(ch if i == 0 else "##" + ch for i, ch in enumerate(word))
    room = VOCAB_SIZE - len(specials) - len(alphabet)
    ranked = sorted((p for p in pieces if p not in alphabet), key=lambda p: (-pieces[p], p))[:room]
    return {t: i for i, t in enumerate([*specials, *sorted(alphabet), *sorted(ranked)])}


def _passages(lines: list[str]) -> list[str]:
    """Consecutive non-empty lines joined into passages of about BLOCK word pieces' worth of text."""
    passages, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        if sum(len(c) for c in current) > 3 * BLOCK or (not line.strip() and current):
            passages.append(" ".join(current))
            current = []
    return passages + ([" ".join(current)] if current else [])


def build_bert(corpus: Path, out_dir: Path) -> dict:
    """Train the tokenizer and a 2-layer BERT by masked language modelling; save both in ``out_dir``."""
    torch = _determinism()
    from transformers import BertConfig, BertForMaskedLM

    lines = _lines(corpus)
    tokenizer = bert_tokenizer(lines)
    passages = _passages(lines)
    split = int(len(passages) * (1 - VAL_FRACTION))
    encoded = tokenizer(passages, truncation=True, max_length=BLOCK, padding="max_length", return_tensors="pt")
    ids, attention = encoded["input_ids"], encoded["attention_mask"]
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=512, max_position_embeddings=CONTEXT, pad_token_id=tokenizer.pad_token_id)
    model = BertForMaskedLM(config)
    special = torch.tensor(sorted(tokenizer.all_special_ids))

    def masked(x: torch.Tensor, generator: torch.Generator) -> dict:
        """BERT's corruption: 15 % of real tokens chosen; of those 80 % [MASK], 10 % random, 10 % kept."""
        labels = x.clone()
        choose = (torch.rand(x.shape, generator=generator) < MASK_PROBABILITY) & ~torch.isin(x, special)
        labels[~choose] = -100
        x = x.clone()
        roll = torch.rand(x.shape, generator=generator)
        x[choose & (roll < 0.8)] = tokenizer.mask_token_id
        randomised = choose & (roll >= 0.8) & (roll < 0.9)
        x[randomised] = torch.randint(len(tokenizer), x.shape, generator=generator)[randomised]
        return {"input_ids": x, "labels": labels}

    sampler = torch.Generator().manual_seed(SEED)

    def batches(step: int) -> dict:
        rows = torch.randint(split, (BATCH,), generator=sampler)
        return {**masked(ids[rows], sampler), "attention_mask": attention[rows]}

    def eval_loss(m) -> float:
        m.eval()
        generator = torch.Generator().manual_seed(SEED + 1)
        rows = torch.arange(split, len(passages))[:EVAL_BATCHES * BATCH]
        with torch.no_grad():
            losses = [m(**masked(ids[r], generator), attention_mask=attention[r]).loss.item()
                      for r in rows.split(BATCH)]
        return sum(losses) / len(losses)

    facts = _train(model, batches, eval_loss)
    _save(model, tokenizer, out_dir)
    return {"family": "bert", "parameters": sum(p.numel() for p in model.parameters()),
            "vocab": len(tokenizer), **facts}
