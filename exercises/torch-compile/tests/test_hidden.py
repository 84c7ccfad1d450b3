"""Hidden tests for torch.compile: new shapes, graph breaks, eval mode."""
import pytest
import torch
from torch import nn

from course_harness import assert_tensor_close, get_function, learner_library

COMPILE_SIG = "compile_model(model: nn.Module) -> nn.Module"
BREAKS_SIG = "count_graph_breaks(model: nn.Module, *example_inputs) -> int"


@pytest.fixture(autouse=True)
def fresh_dynamo():
    dynamo = learner_library("torch._dynamo")
    torch._dynamo.reset(), dynamo.reset()
    yield
    torch._dynamo.reset(), dynamo.reset()


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
        if type(exc).__name__ == "Unsupported" or text.startswith("LearnerError: Unsupported"):
            raise AssertionError(
                "the compiled model refused to run a model with a graph break "
                f"({text[:200]}). Did you pass fullgraph=True? torch.compile must still run such a model: it "
                "splits it into several graphs.") from None
        raise


class TwoBreaks(nn.Module):
    """Two data-dependent Python decisions: two graph breaks, three graphs."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.a = nn.Linear(6, 6)
        self.b = nn.Linear(6, 6)
        self.c = nn.Linear(6, 2)

    def forward(self, x):
        h = torch.tanh(self.a(x))
        if h.mean().item() > 0:
            h = h * 2
        h = torch.tanh(self.b(h))
        if h.max().item() > 0.5:
            h = h - 0.5
        return self.c(h)


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(4)
        self.q = nn.Linear(5, 5)
        self.drop = nn.Dropout(0.5)

    def forward(self, x, y):
        return self.drop(self.q(x)) @ y.T          # (B, B)


def test_a_new_batch_size_still_matches_eager():
    compile_model = get_function("compile_model", COMPILE_SIG)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    compiled = compile_model(model)
    for batch in (3, 7):
        x = torch.randn(batch, 4)
        assert_tensor_close(run(compiled, x), model(x), atol=1e-5, rtol=1e-5,
                            name=f"compiled output for a batch of {batch}")


def test_a_model_with_graph_breaks_still_gives_eager_results():
    compile_model = get_function("compile_model", COMPILE_SIG)
    model = TwoBreaks()
    compiled = compile_model(model)
    for seed in range(2):
        x = torch.randn(5, 6, generator=torch.Generator().manual_seed(seed))
        assert_tensor_close(run(compiled, x), model(x), atol=1e-5, rtol=1e-5,
                            name=f"compiled output of a model with two graph breaks (input {seed})")


def test_count_graph_breaks_counts_two():
    count_graph_breaks = get_function("count_graph_breaks", BREAKS_SIG)
    n = count_graph_breaks(TwoBreaks(), torch.randn(5, 6))
    assert n == 2, f"TwoBreaks.forward has two .item()-driven `if`s, so 2 graph breaks; got {n!r}."


def test_two_inputs_and_eval_mode_dropout():
    compile_model = get_function("compile_model", COMPILE_SIG)
    count_graph_breaks = get_function("count_graph_breaks", BREAKS_SIG)
    model = TwoInputs().eval()
    x, y = torch.randn(4, 5), torch.randn(4, 5)
    compiled = compile_model(model)
    assert_tensor_close(run(compiled, x, y), model(x, y), atol=1e-5, rtol=1e-5,
                        name="compiled output of a two-input model in eval mode")
    learner_library("torch._dynamo").reset()
    n = count_graph_breaks(model, x, y)
    assert n == 0, f"count_graph_breaks(model, x, y) should pass both inputs to the model; a clean model has 0 breaks, got {n!r}."


def test_compile_keeps_training_mode_and_dropout():
    compile_model = get_function("compile_model", COMPILE_SIG)
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.5), nn.Linear(16, 2))   # in training mode
    compiled = compile_model(model)
    assert model.training and compiled.training, (
        "compile_model switched the model out of training mode (model.eval()?); compiling must not change the "
        "mode: training code compiles the model and keeps training it, dropout included.")
    x = torch.randn(8, 6, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(11)
    got = run(compiled, x)
    torch.manual_seed(11)
    assert_tensor_close(got, model(x), atol=1e-5, rtol=1e-5,
                        name="compiled output in training mode (dropout drawn from the same seed as eager)")
