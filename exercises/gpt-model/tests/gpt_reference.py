"""A reference GPT written with plain tensor operations and run on the weights of the learner's model.

The learner may name and nest the layers as they like; ``find_layers`` finds them by type, shape and
the order they were created in:

- outside the blocks: ``nn.Embedding(vocab_size, C)`` (tokens), ``nn.Embedding(block_size, C)``
  (positions), one ``nn.LayerNorm(C)`` (the final one) and, optionally, the output
  ``nn.Linear(C, vocab_size)``, whose weight must be the token embedding's (tied);
- in each block (the modules under a numbered container, ``blocks.0``, ``transformer.h.0``, ...):
  two ``nn.LayerNorm(C)`` (the one created first goes before the attention), the attention input
  (one ``nn.Linear(C, 3C)`` giving ``[q | k | v]``, or three ``nn.Linear(C, C)`` for q, k and v, in
  that order), the attention output ``nn.Linear(C, C)`` and the MLP ``nn.Linear(C, 4C)``,
  ``nn.Linear(4C, C)``.

The reference runs in float64 on copies of those weights, so its values and gradients are exact
to compare with.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LAYOUT = ("The tests look for the layers of the prompt's table: nn.Embedding(vocab_size, n_embd) and "
          "nn.Embedding(block_size, n_embd); per block (a numbered nn.ModuleList entry) two nn.LayerNorm(n_embd) "
          "(ln_1 created before ln_2), nn.Linear(n_embd, 3*n_embd) for q, k, v (or three nn.Linear(n_embd, n_embd)), "
          "nn.Linear(n_embd, n_embd) for the output projection, nn.Linear(n_embd, 4*n_embd) and "
          "nn.Linear(4*n_embd, n_embd) for the MLP; then one final nn.LayerNorm(n_embd).")


def block_index(name: str) -> int | None:
    for part in name.split("."):
        if part.isdigit():
            return int(part)
    return None


def find_layers(model: nn.Module, cfg: dict) -> dict:
    """The learner's modules by role: {"wte", "wpe", "ln_f", "lm_head" (or None), "blocks": [...]}."""
    V, T, C, L = cfg["vocab_size"], cfg["block_size"], cfg["n_embd"], cfg["n_layer"]
    found: dict = {"wte": None, "wpe": None, "ln_f": [], "lm_head": []}
    blocks: dict[int, dict[str, list]] = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.Embedding):
            key = "wte" if module.num_embeddings == V else "wpe" if module.num_embeddings == T else None
            if key and found[key] is None:
                found[key] = module
            continue
        if not isinstance(module, (nn.LayerNorm, nn.Linear)):
            continue
        index = block_index(name)
        kind = "ln" if isinstance(module, nn.LayerNorm) else "linear"
        if index is None:
            found["ln_f" if kind == "ln" else "lm_head"].append(module)
        else:
            blocks.setdefault(index, {"ln": [], "linear": []})[kind].append(module)
    problems = []
    if found["wte"] is None:
        problems.append(f"no nn.Embedding({V}, {C}) for the tokens")
    if found["wpe"] is None:
        problems.append(f"no nn.Embedding({T}, {C}) for the positions")
    if len(found["ln_f"]) != 1:
        problems.append(f"{len(found['ln_f'])} LayerNorm(s) outside the blocks instead of one final ln_f")
    heads = [m for m in found["lm_head"] if (m.in_features, m.out_features) == (C, V)]
    if len(found["lm_head"]) > 1 or len(heads) != len(found["lm_head"]):
        problems.append(f"Linear layers outside the blocks other than one lm_head = nn.Linear({C}, {V})")
    if len(blocks) != L:
        problems.append(f"{len(blocks)} numbered block(s) instead of n_layer = {L}")
    layout = []
    for index in sorted(blocks):
        lns, linears = blocks[index]["ln"], blocks[index]["linear"]
        by_shape: dict[tuple[int, int], list] = {}
        for m in linears:
            by_shape.setdefault((m.in_features, m.out_features), []).append(m)
        fused, square = by_shape.get((C, 3 * C), []), by_shape.get((C, C), [])
        fc, fc_proj = by_shape.get((C, 4 * C), []), by_shape.get((4 * C, C), [])
        if len(fused) == 1 and len(square) == 1:
            qkv, proj = fused, square[0]
        elif not fused and len(square) == 4:
            qkv, proj = square[:3], square[3]
        else:
            problems.append(f"block {index}: attention layers not found (Linear shapes "
                            f"{[(m.in_features, m.out_features) for m in linears]})")
            continue
        if len(lns) != 2 or len(fc) != 1 or len(fc_proj) != 1 or len(linears) != len(qkv) + 3:
            problems.append(f"block {index}: expected 2 LayerNorms and the MLP Linears ({C} -> {4 * C} -> {C}), found "
                            f"{len(lns)} LayerNorm(s) and Linear shapes {[(m.in_features, m.out_features) for m in linears]}")
            continue
        layout.append({"ln_1": lns[0], "ln_2": lns[1], "qkv": qkv, "proj": proj, "fc": fc[0], "fc_proj": fc_proj[0]})
    if problems:
        raise AssertionError("The tests could not find the layers of your GPT to build a reference with the same "
                             f"weights: {'; '.join(problems)}. {LAYOUT}")
    if heads and heads[0].weight is not found["wte"].weight:
        raise AssertionError("lm_head.weight is not the same Parameter as the token embedding's weight: tie them with "
                             "`self.lm_head.weight = self.wte.weight` (copying `.data` or cloning gives two separate "
                             "parameters that train apart).")
    return {"wte": found["wte"], "wpe": found["wpe"], "ln_f": found["ln_f"][0],
            "lm_head": heads[0] if heads else None, "blocks": layout}


def randomise(layers: dict, generator: torch.Generator) -> None:
    """Give every weight a clearly non-default value, so a misplaced LayerNorm, bias or scale shows."""
    def normal(t, std):
        t.copy_(torch.randn(t.shape, generator=generator) * std)

    with torch.no_grad():
        for emb in (layers["wte"], layers["wpe"]):
            normal(emb.weight, 1.0)
        norms = [layers["ln_f"]] + [b[k] for b in layers["blocks"] for k in ("ln_1", "ln_2")]
        for ln in norms:
            if ln.weight is not None:
                ln.weight.copy_(0.5 + torch.rand(ln.weight.shape, generator=generator))
            if ln.bias is not None:
                normal(ln.bias, 0.2)
        for block in layers["blocks"]:
            for lin in block["qkv"] + [block["proj"], block["fc"], block["fc_proj"]]:
                normal(lin.weight, 1 / math.sqrt(lin.in_features))
                if lin.bias is not None:
                    normal(lin.bias, 0.1)


def parameters_of(layers: dict) -> list[nn.Parameter]:
    """Every weight the reference reads (tied ones once), in a fixed order."""
    mods = [layers["wte"], layers["wpe"], layers["ln_f"]]
    for block in layers["blocks"]:
        mods += [block["ln_1"], block["ln_2"], *block["qkv"], block["proj"], block["fc"], block["fc_proj"]]
    params, seen = [], set()
    for m in mods:
        for p in (m.weight, getattr(m, "bias", None)):
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    return params


def describe(layers: dict, param: nn.Parameter) -> str:
    """A readable name for one of the learner's parameters, by role."""
    def owner(m, what):
        return f"{what}.weight" if param is m.weight else f"{what}.bias"

    for m, what in ((layers["wte"], "token embedding"), (layers["wpe"], "position embedding"), (layers["ln_f"], "ln_f")):
        if param is m.weight or param is getattr(m, "bias", None):
            return owner(m, what)
    for i, block in enumerate(layers["blocks"]):
        named = [("ln_1", block["ln_1"]), ("ln_2", block["ln_2"]), ("attention output projection", block["proj"]),
                 ("MLP first Linear", block["fc"]), ("MLP second Linear", block["fc_proj"])]
        named += [(f"attention input Linear {j}", m) for j, m in enumerate(block["qkv"])]
        for what, m in named:
            if param is m.weight or param is getattr(m, "bias", None):
                return f"block {i}: " + owner(m, what)
    return "a parameter"


def copies(layers: dict) -> dict[int, torch.Tensor]:
    """float64 leaf copies of the learner's weights, keyed by id() of the learner's parameter."""
    return {id(p): p.detach().to(torch.float64).clone().requires_grad_(True) for p in parameters_of(layers)}


def reference_logits(layers: dict, cfg: dict, idx: torch.Tensor, weights: dict[int, torch.Tensor] | None = None, *,
                     n_head: int | None = None, scale: bool = True, pre_norm: bool = True, residual: bool = True,
                     gelu: str = "none") -> torch.Tensor:
    """(B, T, V) float64 logits of the prompt's GPT with the learner's weights (or their copies ``weights``).

    The keyword arguments build the usual mistakes instead (one head, no 1/sqrt(hs), post-norm, no residual,
    tanh GELU), so a failing test can say which one the learner's model matches.
    """
    weights = copies(layers) if weights is None else weights

    def w(p):
        return None if p is None else weights[id(p)]

    def norm(ln, h):
        return F.layer_norm(h, h.shape[-1:], w(ln.weight), w(ln.bias), ln.eps)

    B, T = idx.shape
    C = cfg["n_embd"]
    H = n_head or cfg["n_head"]
    hs = C // H
    causal_future = torch.ones(T, T, dtype=torch.bool).triu(1)
    x = w(layers["wte"].weight)[idx] + w(layers["wpe"].weight)[:T]            # (B, T, C)
    for block in layers["blocks"]:
        qkv = block["qkv"]

        def attention(h, qkv=qkv, block=block):
            W = torch.cat([w(m.weight) for m in qkv])                           # (3C, C)
            b = None if qkv[0].bias is None else torch.cat([w(m.bias) for m in qkv])
            q, k, v = F.linear(h, W, b).split(C, dim=-1)
            q, k, v = (t.reshape(B, T, H, hs).transpose(1, 2) for t in (q, k, v))  # (B, H, T, hs)
            scores = q @ k.transpose(-2, -1)
            if scale:
                scores = scores / math.sqrt(hs)
            scores = scores.masked_fill(causal_future, float("-inf"))
            y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
            return F.linear(y, w(block["proj"].weight), w(block["proj"].bias))

        def mlp(h, block=block):
            h = F.gelu(F.linear(h, w(block["fc"].weight), w(block["fc"].bias)), approximate=gelu)
            return F.linear(h, w(block["fc_proj"].weight), w(block["fc_proj"].bias))

        if not pre_norm:
            x = norm(block["ln_1"], x + attention(x))
            x = norm(block["ln_2"], x + mlp(x))
        elif residual:
            x = x + attention(norm(block["ln_1"], x))
            x = x + mlp(norm(block["ln_2"], x))
        else:
            x = mlp(norm(block["ln_2"], attention(norm(block["ln_1"], x))))
    return F.linear(norm(layers["ln_f"], x), w(layers["wte"].weight))     # tied output layer


KNOWN_MISTAKES = (
    (dict(n_head=1), "one attention head of full width: split q, k and v into n_head heads of size n_embd // n_head "
                     "with .view(B, T, n_head, hs).transpose(1, 2), attend per head, then merge them back"),
    (dict(scale=False), "attention scores without the 1/sqrt(head_size) scale: divide q @ k^T by sqrt(n_embd // n_head)"),
    (dict(pre_norm=False), "post-norm blocks, x = ln(x + sublayer(x)); GPT is pre-norm: x = x + attn(ln_1(x)), "
                           "then x = x + mlp(ln_2(x))"),
    (dict(residual=False), "blocks without residual connections: add each sub-layer's output to x "
                           "(x = x + attn(ln_1(x)), x = x + mlp(ln_2(x)))"),
    (dict(gelu="tanh"), "the tanh approximation of GELU: use the exact nn.GELU() (the default)"),
)


def diagnose(layers: dict, cfg: dict, idx: torch.Tensor, logits: torch.Tensor) -> str:
    """A sentence naming the known mistake the learner's logits match, or ''."""
    got = logits.detach().to(torch.float64)
    with torch.no_grad():
        for kwargs, advice in KNOWN_MISTAKES:
            wrong = reference_logits(layers, cfg, idx, **kwargs)
            if got.shape == wrong.shape and torch.allclose(got, wrong, atol=1e-3, rtol=1e-3):
                return f" Your logits match a model with {advice}."
    return ""
