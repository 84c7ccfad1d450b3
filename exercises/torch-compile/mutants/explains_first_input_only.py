"""Runs the explain tool with only the first example input: breaks for models that take several inputs.

Caught by: test_two_inputs_and_eval_mode_dropout
"""
import torch
from torch import nn


def compile_model(model: nn.Module) -> nn.Module:
    """Compile ``model`` with TorchDynamo; the result shares the model's parameters.

    "aot_eager" runs the whole capture pipeline (Dynamo graph capture, AOTAutograd's
    ahead-of-time backward graph) but executes the graphs with ordinary PyTorch kernels,
    so it needs no C++ compiler. The default backend, "inductor", would also generate code.
    """
    return torch.compile(model, backend="aot_eager")


def count_graph_breaks(model: nn.Module, *example_inputs) -> int:
    """How many graph breaks TorchDynamo hits when running ``model(*example_inputs)``."""
    report = torch._dynamo.explain(model)(example_inputs[0])
    return report.graph_break_count
