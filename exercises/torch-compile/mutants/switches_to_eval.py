"""Puts the model in eval mode before compiling (compiling "for inference"): dropout is silently switched off for training.

Caught by: test_compile_keeps_training_mode_and_dropout
"""
import torch
from torch import nn


def compile_model(model: nn.Module) -> nn.Module:
    """Compile ``model`` with TorchDynamo; the result shares the model's parameters.

    "aot_eager" runs the whole capture pipeline (Dynamo graph capture, AOTAutograd's
    ahead-of-time backward graph) but executes the graphs with ordinary PyTorch kernels,
    so it needs no C++ compiler. The default backend, "inductor", would also generate code.
    """
    model.eval()
    return torch.compile(model, backend="aot_eager")


def count_graph_breaks(model: nn.Module, *example_inputs) -> int:
    """How many graph breaks TorchDynamo hits when running ``model(*example_inputs)``."""
    report = torch._dynamo.explain(model)(*example_inputs)
    return report.graph_break_count
