import math

import torch
from torch import nn


class RNNCell(nn.Module):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))   # (H, D)
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))  # (H, H)
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(hidden_size))             # (H,)
            self.bias_hh = nn.Parameter(torch.empty(hidden_size))             # (H,)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, D), h: (B, H) or None (zeros) -> h': (B, H)."""
        raise NotImplementedError("x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh, then tanh")


class LSTMCell(nn.Module):
    """Gates stacked in the order input, forget, cell (g), output: i, f, g, o."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        raise NotImplementedError("like RNNCell, but every parameter has 4 * hidden_size rows")

    def forward(self, x: torch.Tensor, state=None):
        """x: (B, D), state: (h, c), each (B, H), or None (zeros) -> (h', c')."""
        raise NotImplementedError


class GRUCell(nn.Module):
    """Gates stacked in the order reset, update, new: r, z, n."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        raise NotImplementedError("like RNNCell, but every parameter has 3 * hidden_size rows")

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, D), h: (B, H) or None (zeros) -> h': (B, H)."""
        raise NotImplementedError


def run_sequence(cell: nn.Module, x: torch.Tensor, h0=None):
    """Unroll ``cell`` over x of shape (T, B, D); return (outputs (T, B, H), final state)."""
    raise NotImplementedError
