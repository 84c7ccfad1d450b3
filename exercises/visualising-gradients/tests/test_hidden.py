"""Hidden tests for the gradient field exercise: edge cases, run only on *Submit*."""
import torch

from course_harness import assert_tensor_close, get_function

FIELD = "gradient_field(f, xs: torch.Tensor, ys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]"
DESCEND = "descend(f, start: tuple[float, float], lr: float, steps: int) -> list[float]"


def field(f, xs, ys):
    result = get_function("gradient_field", FIELD)(f, xs, ys)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError("gradient_field must return a pair (dfdx, dfdy), "
                             f"but it returned {type(result).__name__}.")
    return result


def test_a_function_that_ignores_y_has_zero_dfdy():
    xs = torch.linspace(-1.0, 1.0, 4, dtype=torch.float64)
    ys = torch.linspace(0.0, 2.0, 3, dtype=torch.float64)
    dfdx, dfdy = field(lambda x, y: x ** 3, xs, ys)
    X, _ = torch.meshgrid(xs, ys, indexing="xy")
    assert_tensor_close(dfdx, 3 * X ** 2, atol=1e-6, name="dfdx of f(x, y) = x³")
    assert_tensor_close(dfdy, torch.zeros(3, 4, dtype=torch.float64), atol=0,
                        name="dfdy of f(x, y) = x³ (f ignores y: a (ny, nx) tensor of zeros, not None)")


def test_a_gaussian_bump():
    xs = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    ys = torch.linspace(-1.0, 1.5, 6, dtype=torch.float64)
    dfdx, dfdy = field(lambda x, y: torch.exp(-(x ** 2 + y ** 2)), xs, ys)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")  # (6, 9)
    bump = torch.exp(-(X ** 2 + Y ** 2))
    assert_tensor_close(dfdx, -2 * X * bump, atol=1e-6, name="dfdx of exp(-(x² + y²))")
    assert_tensor_close(dfdy, -2 * Y * bump, atol=1e-6, name="dfdy of exp(-(x² + y²))")


def test_float32_grid_stays_float32_and_inputs_are_untouched():
    xs = torch.linspace(-1.0, 1.0, 5)
    ys = torch.linspace(-1.0, 1.0, 4)
    xs_before, ys_before = xs.clone(), ys.clone()
    dfdx, dfdy = field(lambda x, y: x * y, xs, ys)
    X, Y = torch.meshgrid(xs_before, ys_before, indexing="xy")
    assert_tensor_close(dfdx, Y, atol=2e-3, name="dfdx of x·y on a float32 grid (should be y, still float32)")
    assert_tensor_close(dfdy, X, atol=2e-3, name="dfdy of x·y on a float32 grid (should be x, still float32)")
    assert_tensor_close(xs, xs_before, atol=0, rtol=0, name="xs after gradient_field (it must not change)")
    assert not xs.requires_grad and not ys.requires_grad, (
        "gradient_field switched on requires_grad for the caller's xs or ys; make copies of the grid instead.")


def test_descend_with_a_learning_rate_that_is_too_large_diverges():
    # On x² + 3y² a step multiplies y by (1 - 6·lr) = -1.4 when lr = 0.4: |y| grows every step.
    values = get_function("descend", DESCEND)(lambda x, y: x ** 2 + 3 * y ** 2, (1.0, 1.0), 0.4, 10)
    assert isinstance(values, (list, tuple)) and len(values) == 11, "descend(..., steps=10) should return 11 values."
    k = torch.arange(11, dtype=torch.float64)
    expected = (0.2 ** k) ** 2 + 3 * ((-1.4) ** k) ** 2
    assert_tensor_close(torch.tensor([float(v) for v in values], dtype=torch.float64), expected, rtol=1e-5, atol=1e-6,
                        name="f values of descend with lr = 0.4 (too large: they should grow, with no clamping)")


def test_descend_with_zero_steps_returns_only_the_start_value():
    values = get_function("descend", DESCEND)(lambda x, y: (x - 1) ** 2 + y ** 2 + 0.5, (3.0, -2.0), 0.1, 0)
    assert isinstance(values, list), f"descend should return a list, got {type(values).__name__}."
    assert len(values) == 1 and isinstance(values[0], float), (
        f"descend(..., steps=0) should return [f(start)] as one Python float, got {values!r:.80}.")
    assert abs(values[0] - 8.5) < 1e-9, f"f(3, -2) = 4 + 4 + 0.5 = 8.5, but descend returned {values[0]}."


def exact_descent(grad, value, start, lr, steps):
    """Plain gradient descent in float64 Python numbers: both coordinates move from the same point."""
    x, y = start
    values = [value(x, y)]
    for _ in range(steps):
        gx, gy = grad(x, y)
        x, y = x - lr * gx, y - lr * gy
        values.append(value(x, y))
    return torch.tensor(values, dtype=torch.float64)


def test_descend_moves_both_coordinates_from_the_same_point():
    # x and y interact here (the x·y term), so the y-gradient must be taken at the old point, not after moving x.
    values = get_function("descend", DESCEND)(lambda x, y: x ** 2 + x * y + 2 * y ** 2, (2.0, -1.0), 0.2, 8)
    assert isinstance(values, (list, tuple)) and len(values) == 9, "descend(..., steps=8) should return 9 values."
    expected = exact_descent(lambda x, y: (2 * x + y, x + 4 * y), lambda x, y: x ** 2 + x * y + 2 * y ** 2,
                             (2.0, -1.0), 0.2, 8)
    assert_tensor_close(torch.tensor([float(v) for v in values], dtype=torch.float64), expected, rtol=1e-5, atol=1e-9,
                        name="f values of descend on x² + xy + 2y² (compute both partial derivatives at the current "
                             "point, then move x and y together)")


def test_descend_keeps_the_point_in_float64():
    # The minimum sits at (1000, -500): in float32 the point is rounded to about 6e-5 there.
    f = lambda x, y: (x - 1000) ** 2 + (y + 500) ** 2  # noqa: E731
    values = get_function("descend", DESCEND)(f, (1000.5, -499.5), 0.1, 20)
    assert isinstance(values, (list, tuple)) and len(values) == 21, "descend(..., steps=20) should return 21 values."
    expected = exact_descent(lambda x, y: (2 * (x - 1000), 2 * (y + 500)), f, (1000.5, -499.5), 0.1, 20)
    assert_tensor_close(torch.tensor([float(v) for v in values], dtype=torch.float64), expected, rtol=1e-5, atol=1e-12,
                        name="f values of descend near (1000, -500) (keep the point in float64: float32 rounds it "
                             "to about 6e-5 there)")
