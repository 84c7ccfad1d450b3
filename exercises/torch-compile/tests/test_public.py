"""Public tests for torch.compile: run by *Run* and shown to the learner."""
import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_harness import artifacts, assert_tensor_close, get_function, learner_library

COMPILE_SIG = "compile_model(model: nn.Module) -> nn.Module"
BREAKS_SIG = "count_graph_breaks(model: nn.Module, *example_inputs) -> int"


@pytest.fixture(autouse=True)
def fresh_dynamo():
    """Each test starts with empty compile caches (here and where your code runs)."""
    dynamo = learner_library("torch._dynamo")
    torch._dynamo.reset(), dynamo.reset()
    yield
    torch._dynamo.reset(), dynamo.reset()


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3))


class Branchy(nn.Module):
    """A Python `if` on a tensor's value: Dynamo must break the graph at `.item()`."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 3)

    def forward(self, x):
        h = self.a(x)
        if h.sum().item() > 0:
            h = -h
        return self.b(torch.relu(h))


def run(compiled, *inputs):
    """Call the compiled model; explain a backend failure in plain words."""
    try:
        return compiled(*inputs)
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}"
        if "Inductor" in text or "CppCompile" in text or "g++" in text:
            raise AssertionError(
                "the compiled model failed inside the inductor backend, which cannot compile C++ in this "
                "sandbox. Use torch.compile(model, backend=\"aot_eager\").") from None
        raise


def test_returns_an_optimized_module_that_wraps_the_model():
    compile_model = get_function("compile_model", COMPILE_SIG)
    model = mlp()
    compiled = compile_model(model)
    assert isinstance(compiled, torch._dynamo.eval_frame.OptimizedModule), (
        f"compile_model should return what torch.compile(model) returns (an OptimizedModule), "
        f"got {type(compiled).__name__}.")
    assert compiled._orig_mod is model, "the compiled module should wrap the model you were given, not a copy."
    assert all(p is q for p, q in zip(compiled.parameters(), model.parameters())), \
        "the compiled module should share the model's parameter tensors."


def test_compiled_outputs_match_eager_outputs():
    compile_model = get_function("compile_model", COMPILE_SIG)
    model = mlp()
    compiled = compile_model(model)
    x = torch.randn(16, 8)
    expected = model(x)
    dynamo_utils = learner_library("torch._dynamo.utils")  # where your code runs, and so compiles

    def graphs_captured():
        return dynamo_utils.counters["stats"]["unique_graphs"]

    before = graphs_captured()   # count only the graphs captured by this call
    assert_tensor_close(run(compiled, x), expected, atol=1e-5, rtol=1e-5, name="compiled model output")
    assert graphs_captured() - before >= 1, (
        "no graph was captured: calling the returned module should go through TorchDynamo (torch.compile).")


def test_gradients_and_a_short_training_run_match_eager():
    compile_model = get_function("compile_model", COMPILE_SIG)
    eager = mlp(1)
    model = copy.deepcopy(eager)
    compiled = compile_model(model)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 8, generator=g), torch.randint(0, 3, (32,), generator=g)
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    eager_opt = torch.optim.SGD(eager.parameters(), lr=0.2)
    losses, eager_losses = [], []
    for step in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(run(compiled, x), y)
        loss.backward()
        eager_opt.zero_grad()
        eager_loss = F.cross_entropy(eager(x), y)
        eager_loss.backward()
        if step == 0:
            for (name, p), q in zip(model.named_parameters(), eager.parameters()):
                assert p.grad is not None, f"parameter {name} got no gradient through the compiled model."
                assert_tensor_close(p.grad, q.grad, atol=1e-5, rtol=1e-5, name=f"gradient of {name} (compiled vs eager)")
        opt.step()
        eager_opt.step()
        losses.append(loss.item())
        eager_losses.append(eager_loss.item())
    sink = artifacts()
    sink.line("training loss, compiled", losses, x_label="step", y_label="loss")
    sink.line("training loss, eager", eager_losses, x_label="step", y_label="loss")
    assert max(abs(a - b) for a, b in zip(losses, eager_losses)) < 1e-4, (
        f"15 SGD steps through the compiled model gave losses {[round(v, 5) for v in losses]}, eager "
        f"{[round(v, 5) for v in eager_losses]}.")


def test_count_graph_breaks_of_a_clean_model_and_a_branchy_one():
    count_graph_breaks = get_function("count_graph_breaks", BREAKS_SIG)
    x = torch.randn(4, 8)
    clean = count_graph_breaks(mlp(), x)
    assert clean == 0, f"an MLP of Linear and activation layers has no graph break, but count_graph_breaks returned {clean!r}."
    learner_library("torch._dynamo").reset()
    torch.manual_seed(0)
    branchy = count_graph_breaks(Branchy(), x)
    assert branchy == 1, (
        f"Branchy.forward calls .item() to decide a Python `if`: that is 1 graph break, but count_graph_breaks "
        f"returned {branchy!r}. Use torch._dynamo.explain(model)(*example_inputs).graph_break_count.")
