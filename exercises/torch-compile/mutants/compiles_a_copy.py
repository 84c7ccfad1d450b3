"""Compiles a deep copy of the model: the compiled module no longer shares the parameters being trained.

Caught by: test_returns_an_optimized_module_that_wraps_the_model
"""
import copy

import torch
from torch import nn


def compile_model(model: nn.Module) -> nn.Module:
    """Compile ``model`` with TorchDynamo; the result shares the model's parameters.

    "aot_eager" runs the whole capture pipeline (Dynamo graph capture, AOTAutograd's
    ahead-of-time backward graph) but executes the graphs with ordinary PyTorch kernels,
    so it needs no C++ compiler. The default backend, "inductor", would also generate code.
    """
    return torch.compile(copy.deepcopy(model), backend="aot_eager")


def count_graph_breaks(model: nn.Module, *example_inputs) -> int:
    """How many graph breaks TorchDynamo hits when running ``model(*example_inputs)``."""
    report = torch._dynamo.explain(model)(*example_inputs)
    return report.graph_break_count
