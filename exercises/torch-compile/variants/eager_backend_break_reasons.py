"""Unusual but correct: the "eager" backend (Dynamo capture only) and the breaks counted as len(break_reasons)."""
import torch
from torch import nn


def compile_model(model: nn.Module) -> nn.Module:
    return torch.compile(model, backend="eager", dynamic=False)


def count_graph_breaks(model: nn.Module, *example_inputs) -> int:
    return len(torch._dynamo.explain(model)(*example_inputs).break_reasons)
