"""Public tests for RNN, LSTM and GRU cells: run by *Run* and shown to the learner."""
import ast
import inspect

import pytest
import torch
from torch import nn

from course_harness import assert_tensor_close, get_function, submission

SIGNATURES = {
    "RNNCell": "class RNNCell(nn.Module): __init__(input_size, hidden_size, bias=True); forward(x, h=None)",
    "LSTMCell": "class LSTMCell(nn.Module): __init__(input_size, hidden_size, bias=True); forward(x, state=None)",
    "GRUCell": "class GRUCell(nn.Module): __init__(input_size, hidden_size, bias=True); forward(x, h=None)",
    "run_sequence": "run_sequence(cell, x, h0=None) -> tuple[torch.Tensor, state]",
}
TORCH_CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}
TORCH_LAYERS = {"RNNCell": nn.RNN, "LSTMCell": nn.LSTM, "GRUCell": nn.GRU}
# Names that would hand the recurrence to PyTorch: layers, cells and the low-level kernels behind them.
FORBIDDEN = {"RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "RNNBase", "RNNCellBase", "_VF",
             "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "rnn_tanh", "rnn_relu", "lstm", "gru"}
RULE = ("Build the cells from matrix products, torch.sigmoid and torch.tanh; PyTorch's recurrent modules "
        "(nn.RNNCell, nn.LSTMCell, nn.GRUCell, nn.RNN, nn.LSTM, nn.GRU) and torch._VF kernels are not allowed.")


@pytest.fixture(autouse=True)
def fixed_seed():
    """The same random inputs and weights on every run."""
    torch.manual_seed(0)


def make_pair(name, input_size=5, hidden_size=4, bias=True):
    """(torch's cell, your cell) with the same float64 weights."""
    reference = TORCH_CELLS[name](input_size, hidden_size, bias=bias, dtype=torch.float64)
    mine = get_function(name, SIGNATURES[name])(input_size, hidden_size, bias=bias)
    if not isinstance(mine, nn.Module):
        raise AssertionError(f"{name}(...) should create an nn.Module, got {type(mine).__name__}.")
    expected = {n: tuple(p.shape) for n, p in reference.named_parameters()}
    got = {n: tuple(p.shape) for n, p in mine.named_parameters()}
    if got != expected:
        raise AssertionError(f"{name}({input_size}, {hidden_size}, bias={bias}) should have the parameters {expected} "
                             f"(name: shape, like nn.{name}), got {got}. Use nn.Parameter for each.")
    mine = mine.to(torch.float64)
    mine.load_state_dict(reference.state_dict())
    return reference, mine


def compare_state(mine, expected, what):
    if isinstance(expected, tuple):
        if not (isinstance(mine, tuple) and len(mine) == 2):
            raise AssertionError(f"{what} should be a pair (h, c), got {type(mine).__name__}.")
        assert_tensor_close(mine[0], expected[0], atol=1e-10, rtol=1e-8, name=f"h of {what}")
        assert_tensor_close(mine[1], expected[1], atol=1e-10, rtol=1e-8, name=f"c of {what}")
    else:
        assert_tensor_close(mine, expected, atol=1e-10, rtol=1e-8, name=what)


def forbidden_uses():
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError, SyntaxError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Name) and node.id == "_VF":
            found.append((node.lineno, "_VF"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torch"):
            found += [(node.lineno, f"import {a.name}") for a in node.names if a.name in FORBIDDEN]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in FORBIDDEN - {
                "RNNCell", "LSTMCell", "GRUCell", "lstm", "gru"}:
            found.append((node.lineno, repr(node.value)))
    return sorted(set(found))


def test_parameters_have_the_same_names_and_shapes_as_torch():
    for name in TORCH_CELLS:
        make_pair(name, input_size=6, hidden_size=3)  # fails with the expected names and shapes if they differ


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_one_step_matches_torch_cell(name):
    reference, mine = make_pair(name)
    x = torch.randn(3, 5, dtype=torch.float64)                   # (B, D)
    h = torch.randn(3, 4, dtype=torch.float64)                   # (B, H)
    state = (h, torch.randn(3, 4, dtype=torch.float64)) if name == "LSTMCell" else h
    compare_state(mine(x, state), reference(x, state), f"{name}(x, state) for B=3, D=5, H=4")


def test_run_sequence_matches_torch_recurrent_layers():
    run_sequence = get_function("run_sequence", SIGNATURES["run_sequence"])
    T, B, D, H = 6, 2, 5, 4
    for name, layer_cls in TORCH_LAYERS.items():
        reference, mine = make_pair(name, D, H)
        layer = layer_cls(D, H, dtype=torch.float64)
        with torch.no_grad():
            for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(layer, f"{p}_l0").copy_(getattr(reference, p))
        x = torch.randn(T, B, D, dtype=torch.float64)            # (T, B, D)
        h0 = torch.randn(1, B, H, dtype=torch.float64)           # nn.RNN/GRU/LSTM want (layers, B, H)
        if name == "LSTMCell":
            c0 = torch.randn(1, B, H, dtype=torch.float64)
            expected_out, (h_n, c_n) = layer(x, (h0, c0))
            start, expected_final = (h0[0], c0[0]), (h_n[0], c_n[0])
        else:
            expected_out, h_n = layer(x, h0)
            start, expected_final = h0[0], h_n[0]
        result = run_sequence(mine, x, start)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError("run_sequence should return (outputs, final_state).")
        outputs, final = result
        assert_tensor_close(outputs, expected_out, atol=1e-10, rtol=1e-8,
                            name=f"the outputs of run_sequence({name}, x of shape (T, B, D) = ({T}, {B}, {D}))")
        compare_state(final, expected_final, f"the final state of run_sequence({name}, ...)")


def test_does_not_use_torch_recurrent_layers(monkeypatch):
    found = forbidden_uses()
    if found:
        pytest.fail(f"{RULE} Found: " + ", ".join(f"line {line} ({what})" for line, what in found) + ".")

    used = []

    def forbidden(*args, **kwargs):
        used.append(1)
        raise AssertionError(f"Your code called one of PyTorch's recurrent modules or kernels. {RULE}")

    # Only the use of the built-ins is judged here (other tests check the numbers): a cell that cannot be built
    # or that fails for another reason is skipped rather than failing this rule.
    cells = {}
    for name in TORCH_CELLS:                              # built before the built-ins are switched off
        try:
            cells[name] = make_pair(name)[1]
        except Exception:  # noqa: BLE001
            pass
    for owner in (torch.nn, torch.nn.modules.rnn):
        for attr in ("RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"):
            monkeypatch.setattr(owner, attr, forbidden)
    for attr in ("rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "rnn_tanh", "rnn_relu", "lstm", "gru"):
        monkeypatch.setattr(torch, attr, forbidden)
        monkeypatch.setattr(torch._VF, attr, forbidden, raising=False)
    x = torch.randn(2, 5, dtype=torch.float64)
    runs = [lambda cell=cell: cell(x) for cell in cells.values()]
    if "LSTMCell" in cells:
        runs.append(lambda: get_function("run_sequence", SIGNATURES["run_sequence"])(
            cells["LSTMCell"], torch.randn(3, 2, 5, dtype=torch.float64)))
    for run in runs:
        try:
            run()
        except Exception:  # noqa: BLE001
            pass
    assert not used, f"Your code called one of PyTorch's recurrent modules or kernels while it ran. {RULE}"
