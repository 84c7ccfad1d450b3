"""Public tests for the gradient field exercise: run by *Run* and shown to the learner."""
import torch

from course_harness import artifacts, assert_tensor_close, get_function

FIELD = "gradient_field(f, xs: torch.Tensor, ys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]"
DESCEND = "descend(f, start: tuple[float, float], lr: float, steps: int) -> list[float]"


def bowl(x, y):
    """f(x, y) = x² + 3y²: an elongated bowl with its minimum at (0, 0)."""
    return x ** 2 + 3 * y ** 2


def field(f, xs, ys):
    """Call the learner's gradient_field and check that it returns a pair."""
    result = get_function("gradient_field", FIELD)(f, xs, ys)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError("gradient_field must return a pair (dfdx, dfdy), "
                             f"but it returned {type(result).__name__}.")
    return result


def run_descent(f, start, lr, steps):
    """Call the learner's descend and check that it returns steps + 1 numbers."""
    values = get_function("descend", DESCEND)(f, start, lr, steps)
    if not isinstance(values, (list, tuple)) or len(values) != steps + 1:
        raise AssertionError(f"descend(..., steps={steps}) should return a list of {steps + 1} floats "
                             f"(the start value, then one per step), but it returned {values!r:.80}.")
    return torch.tensor([float(v) for v in values], dtype=torch.float64)


def closed_form_descent(start, lr, steps):
    """For x² + 3y² each step multiplies x by (1 - 2·lr) and y by (1 - 6·lr)."""
    k = torch.arange(steps + 1, dtype=torch.float64)
    x, y = start[0] * (1 - 2 * lr) ** k, start[1] * (1 - 6 * lr) ** k
    return x ** 2 + 3 * y ** 2


def test_gradient_field_of_a_bowl_matches_the_exact_gradient():
    xs = torch.linspace(-3.0, 3.0, 15, dtype=torch.float64)  # (15,)
    ys = torch.linspace(-3.0, 3.0, 15, dtype=torch.float64)  # (15,)
    dfdx, dfdy = field(bowl, xs, ys)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")               # (15, 15)
    if isinstance(dfdx, torch.Tensor) and isinstance(dfdy, torch.Tensor) and dfdx.shape == dfdy.shape == (15, 15):
        # Flip the rows so that y grows upwards, as in a plot of the plane.
        magnitude = torch.sqrt(dfdx ** 2 + dfdy ** 2).flip(0)
        artifacts().heatmap("gradient length |∇f| for f(x, y) = x² + 3y²", magnitude,
                            x_labels=[f"{v:.1f}" for v in xs.tolist()],
                            y_labels=[f"{v:.1f}" for v in ys.flip(0).tolist()])
    assert_tensor_close(dfdx, 2 * X, atol=1e-6,
                        name="dfdx for f = x² + 3y² on a 15×15 grid (should be 2x; columns follow xs, rows follow ys)")
    assert_tensor_close(dfdy, 6 * Y, atol=1e-6, name="dfdy for f = x² + 3y² on a 15×15 grid (should be 6y)")


def test_grid_layout_is_rows_for_y_and_columns_for_x():
    xs = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], dtype=torch.float64)  # nx = 5
    ys = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64)            # ny = 3
    dfdx, dfdy = field(lambda x, y: x * y ** 2 + torch.sin(x), xs, ys)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")                         # (3, 5)
    assert_tensor_close(dfdx, Y ** 2 + torch.cos(X), atol=1e-6,
                        name="dfdx of x·y² + sin(x) on 5 xs × 3 ys (shape (ny, nx) = (3, 5); row i is ys[i])")
    assert_tensor_close(dfdy, 2 * X * Y, atol=1e-6, name="dfdy of x·y² + sin(x) on 5 xs × 3 ys")


def test_descend_follows_the_gradient_downhill():
    start, lr, steps = (2.5, -1.5), 0.05, 40
    values = run_descent(bowl, start, lr, steps)
    artifacts().line("f(x, y) = x² + 3y² during gradient descent (lr = 0.05)", values.tolist(),
                     x_label="step", y_label="f(x, y)")
    assert_tensor_close(values, closed_form_descent(start, lr, steps), atol=1e-6, rtol=1e-5,
                        name="the list of f values from descend(x² + 3y², start=(2.5, -1.5), lr=0.05, steps=40)")
    assert values[-1] < values[0], "f should be smaller after gradient descent than at the start."


def test_descend_returns_the_start_value_first():
    values = run_descent(bowl, (2.0, 1.0), 0.1, 2)
    assert_tensor_close(values, torch.tensor([7.0, 3.04, 1.7152], dtype=torch.float64), atol=1e-6,
                        name="descend(x² + 3y², (2, 1), lr=0.1, steps=2)")
