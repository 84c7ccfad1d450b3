"""The LSTM cell hands the step to torch.lstm_cell (PyTorch's kernel), which the exercise forbids; correct numbers.

Caught by: test_does_not_use_torch_recurrent_layers
"""
import math

import torch
from torch import nn


class _Cell(nn.Module):
    """Shared parameters: ``gates`` stacked blocks of (hidden_size, ·) weights, as in torch.nn.*Cell."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gates * hidden_size, input_size))   # (G*H, D)
        self.weight_hh = nn.Parameter(torch.empty(gates * hidden_size, hidden_size))  # (G*H, H)
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gates * hidden_size))             # (G*H,)
            self.bias_hh = nn.Parameter(torch.empty(gates * hidden_size))             # (G*H,)
        else:  # registered as None, like torch, so state_dict() has no bias entries
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)  # torch's default: U(-1/sqrt(H), 1/sqrt(H)) for every parameter
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _zeros(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)  # (B, H)

    def _projections(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x W_ih^T + b_ih and h W_hh^T + b_hh, each (B, G*H)."""
        gi = x @ self.weight_ih.T
        gh = h @ self.weight_hh.T
        if self.bias_ih is not None:
            gi = gi + self.bias_ih
            gh = gh + self.bias_hh
        return gi, gh


class RNNCell(_Cell):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, gates=1)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, D), h: (B, H) or None (zeros) -> h': (B, H)."""
        if h is None:
            h = self._zeros(x)
        gi, gh = self._projections(x, h)
        return torch.tanh(gi + gh)


class LSTMCell(_Cell):
    """Gates stacked in the order input, forget, cell (g), output: i, f, g, o."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, gates=4)

    def forward(self, x: torch.Tensor,
                state: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, D), state: (h, c), each (B, H), or None (zeros) -> (h', c')."""
        if state is None:
            state = (self._zeros(x), self._zeros(x))
        h, c = state
        h_next, c_next = torch.lstm_cell(x, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h_next, c_next


class GRUCell(_Cell):
    """Gates stacked in the order reset, update, new: r, z, n."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, gates=3)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, D), h: (B, H) or None (zeros) -> h': (B, H)."""
        if h is None:
            h = self._zeros(x)
        gi, gh = self._projections(x, h)
        i_r, i_z, i_n = gi.chunk(3, dim=1)                    # each (B, H)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)                         # r gates W_hn h + b_hn, bias included
        return (1 - z) * n + z * h


def run_sequence(cell: nn.Module, x: torch.Tensor, h0=None):
    """Unroll ``cell`` over time.

    Args:
        cell: an RNNCell, GRUCell (state = h) or LSTMCell (state = (h, c)).
        x: (T, B, D) inputs, time first.
        h0: the initial state, or None for zeros.

    Returns:
        (outputs, final_state): outputs is (T, B, H), the hidden state h after every step;
        final_state is the state after the last step (h, or (h, c) for an LSTM).
    """
    state = h0
    outputs = []
    for t in range(x.shape[0]):
        state = cell(x[t], state)                             # (B, H) or ((B, H), (B, H))
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs), state                        # (T, B, H)
