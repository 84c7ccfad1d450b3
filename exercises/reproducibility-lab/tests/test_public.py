"""Public tests for the reproducibility lab: run by *Run* and shown to the learner."""
import json
import os
import platform
import random

import numpy as np
import pytest
import torch

from course_harness import artifacts, get_function

REQUIRED = ("python", "torch", "numpy", "platform", "num_threads")


@pytest.fixture(autouse=True)
def restore_global_state(monkeypatch):
    """set_seed changes process-wide settings; put them back after each test."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = torch.are_deterministic_algorithms_enabled()
    yield
    torch.use_deterministic_algorithms(before)


def test_set_seed_seeds_python_numpy_and_torch():
    set_seed = get_function("set_seed", "set_seed(seed: int) -> None")
    set_seed(1234)
    got = random.random(), float(np.random.rand()), torch.rand(1).item()
    random.seed(1234)
    np.random.seed(1234)
    torch.manual_seed(1234)
    expected = random.random(), float(np.random.rand()), torch.rand(1).item()
    for name, a, b, how in zip(("Python's random", "NumPy", "torch"), got, expected,
                               ("random.seed", "np.random.seed", "torch.manual_seed")):
        assert a == b, f"after set_seed(1234), {name} gave {a!r}, but after {how}(1234) it gives {b!r}: call {how}(seed)."


def test_set_seed_turns_on_deterministic_mode():
    set_seed = get_function("set_seed", "set_seed(seed: int) -> None")
    torch.use_deterministic_algorithms(False)
    set_seed(0)
    assert torch.are_deterministic_algorithms_enabled(), \
        "after set_seed, torch.are_deterministic_algorithms_enabled() should be True: call torch.use_deterministic_algorithms(True)."
    assert os.environ.get("CUBLAS_WORKSPACE_CONFIG") in (":4096:8", ":16:8"), (
        f"CUBLAS_WORKSPACE_CONFIG is {os.environ.get('CUBLAS_WORKSPACE_CONFIG')!r} after set_seed; set it to "
        "':4096:8' so deterministic mode also works with cuBLAS on a GPU.")


def test_same_seed_gives_identical_losses_and_other_seeds_differ():
    run_experiment = get_function("run_experiment", "run_experiment(seed: int, steps: int = 24) -> list[float]")
    first = run_experiment(0)
    random.random(), np.random.rand(3), torch.rand(5)     # other code uses the generators in between
    second = run_experiment(0)
    other = run_experiment(1)
    sink = artifacts()
    sink.line("training loss, seed 0", first, x_label="step", y_label="loss")
    sink.line("training loss, seed 0 again", second, x_label="step", y_label="loss")
    sink.line("training loss, seed 1", other, x_label="step", y_label="loss")
    assert len(first) > 0 and all(isinstance(v, float) for v in first), \
        f"run_experiment should return a list of Python floats, got {first!r:.80}."
    if first != second:
        step = next(i for i, (a, b) in enumerate(zip(first, second)) if a != b)
        raise AssertionError(
            f"two runs with seed 0 differ from step {step} on ({first[step]:.6f} vs {second[step]:.6f}). "
            "run_experiment draws from Python's random, NumPy and torch: set_seed must seed all three.")
    assert first != other, "seeds 0 and 1 gave the very same losses; set_seed should actually use its seed."


def test_environment_report_has_the_right_fields():
    environment_report = get_function("environment_report", "environment_report() -> dict")
    report = environment_report()
    assert isinstance(report, dict), f"environment_report should return a dict, got {type(report).__name__}."
    missing = [k for k in REQUIRED if k not in report]
    assert not missing, f"the report lacks the key(s) {missing}; it needs {list(REQUIRED)}."
    expected = {"python": platform.python_version(), "torch": str(torch.__version__), "numpy": np.__version__,
                "platform": platform.platform(), "num_threads": torch.get_num_threads()}
    for key, value in expected.items():
        assert report[key] == value, f"report[{key!r}] is {report[key]!r}, expected {value!r}."


def test_write_environment_file_writes_json(tmp_path):
    environment_report = get_function("environment_report", "environment_report() -> dict")
    write_environment_file = get_function("write_environment_file", "write_environment_file(path) -> None")
    path = tmp_path / "environment.json"
    write_environment_file(path)
    assert path.is_file(), f"write_environment_file did not create {path}."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise AssertionError(f"the file is not valid JSON ({exc}); write it with json.dump.") from None
    assert data == json.loads(json.dumps(environment_report())), \
        f"the file holds {data!r:.200}, which is not the same as environment_report()."
