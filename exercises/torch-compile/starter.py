import torch
from torch import nn


def compile_model(model: nn.Module) -> nn.Module:
    """Compile ``model`` with TorchDynamo; the result shares the model's parameters.

    Use ``backend="aot_eager"`` (see the prompt for why not the default "inductor").
    """
    raise NotImplementedError("return torch.compile(...) of the model")


def count_graph_breaks(model: nn.Module, *example_inputs) -> int:
    """How many graph breaks TorchDynamo hits when running ``model(*example_inputs)``."""
    raise NotImplementedError("use torch._dynamo.explain(model)(*example_inputs)")
