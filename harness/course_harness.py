"""Helpers that exercise tests import: learner-readable tensor checks and artifact publishing.

This file is copied into every grading workspace next to ``submission.py`` (the learner's
code) and the exercise's tests. Messages are written for the learner: they say what shape,
dtype or value was expected and how far off the result was, never just "assert False".

    from course_harness import assert_tensor_close, get_function
    softmax = get_function("softmax")
    assert_tensor_close(softmax(x, dim=-1), torch.softmax(x, dim=-1), atol=1e-6)
"""
from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Callable, Sequence

from contract import ENV_ARTIFACT_DIR, ENV_BRIDGE_FD, ENV_CORPUS, ENV_INPUT_DIR, ENV_MODELS_DIR

ARTIFACT_DIR_ENV = ENV_ARTIFACT_DIR
MAX_ARTIFACT_POINTS = 2000
MAX_ARTIFACT_TEXT = 20_000
METRIC_NAME = re.compile(r"[a-z_]{1,64}")  # courseware.spec.METRIC_NAME; this file runs without the platform
# One counter per test process, so every Artifacts object writes new files in call order.
_ARTIFACT_NUMBERS = itertools.count(1)
LIVE_DIR = "live"
"""Sub-folder of the artifact folder for charts shown while the run goes on (see Artifacts.live_line)."""
metric_sink: Callable[[str, float], None] | None = None
"""Where ``Artifacts.metric`` hands a number: set by the grader's ``metric_gate`` plugin; None
when the tests run without the grader (plain pytest), and then metrics go nowhere."""


def submission():
    """The learner's module (``submission.py``).

    Under the grader this is a proxy: the learner's code runs in its own process and every use
    of the module (calls, attributes, objects it returns) travels over ``bridge``. Run with
    plain pytest (an author checking an exercise), it is the module itself.
    """
    if os.environ.get(ENV_BRIDGE_FD):
        import bridge

        return bridge.learner_module()
    return importlib.import_module("submission")


def run_isolated(name: str, *args: Any, helper: Any = None, timeout_s: float = 30.0, **kwargs: Any) -> dict:
    """Call the learner's function ``name`` in a process of its own, on the learner's side,
    killed with every process it started after ``timeout_s`` (code that forks ranks and may hang).

    With ``helper`` (a support module of the tests, e.g. ``sys.modules[__name__]``) the function
    ``name`` of that module runs there instead, and may call the learner's code itself. Returns
    ``{"value": ..., "initialised": bool}`` (whether a process group was still initialised),
    ``{"error": "Type: message"}`` or ``{"timeout": True}``; ``value`` must be plain data.
    """
    import bridge

    if os.environ.get(ENV_BRIDGE_FD):
        return bridge.run_isolated(name, *args, helper=helper, timeout_s=timeout_s, **kwargs)
    source = [helper.__name__, Path(helper.__file__).read_text(encoding="utf-8")] if helper is not None else None
    return bridge._isolated(name, source, list(args), kwargs, timeout_s)


def is_instance(value: Any, cls: type) -> bool:
    """``isinstance(value, cls)`` for a value the learner's code returned: under the grader an
    object of the learner's process is a proxy here, and some classes (``tokenizers.Tokenizer``)
    cannot be a proxy's base, so the question goes to where the object lives."""
    if isinstance(value, cls):
        return True
    if os.environ.get(ENV_BRIDGE_FD):
        import bridge

        return bridge.remote_isinstance(value, cls)
    return False


def learner_library(name: str) -> Any:
    """The library module ``name`` (``"torch._dynamo"``) as the learner's code sees it. Under the
    grader that is another process, so state kept there (``torch._dynamo.utils.counters``, caches
    to ``reset()``) is reached through this proxy; without the grader it is the module itself."""
    if os.environ.get(ENV_BRIDGE_FD):
        import bridge

        return bridge.learner_library(name)
    return importlib.import_module(name)


def get_function(name: str, signature: str | None = None) -> Callable[..., Any]:
    """Return ``submission.<name>``, failing with a message that says what to define."""
    module = submission()
    fn = getattr(module, name, None)
    if fn is None:
        wanted = signature or f"{name}(...)"
        raise AssertionError(f"Your code must define `{wanted}`; no `{name}` was found in it.")
    if not callable(fn):
        raise AssertionError(f"`{name}` must be a function or class, but it is a {type(fn).__name__}.")
    return fn


def forbidden_uses(names: set[str] | frozenset[str]) -> list[tuple[int, str]]:
    """Places in the learner's source that name one of ``names`` (attribute, import or string).

    Returns (line, what) pairs; strings are included so ``getattr(torch, "softmax")`` is caught.
    """
    try:
        tree = ast.parse(inspect.getsource(submission()))
    except (OSError, TypeError, SyntaxError):
        return []
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Name) and node.id in names:
            found.append((node.lineno, node.id))
        elif isinstance(node, (ast.ImportFrom, ast.Import)):
            found += [(node.lineno, f"import {a.name}") for a in node.names
                      if a.name.split(".")[-1] in names or a.name.split(".")[0] in names]
            module = getattr(node, "module", None) or ""
            if module and (module.split(".")[0] in names or module.split(".")[-1] in names):
                found.append((node.lineno, f"from {module} import ..."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            found.append((node.lineno, repr(node.value)))
    return sorted(set(found))


def assert_not_using(names: set[str] | frozenset[str], rule: str) -> None:
    """Fail with ``rule`` and the offending lines if the learner's code names any of ``names``.

    ``rule`` explains what to use instead, e.g. "write softmax with torch.exp and sum".
    """
    found = forbidden_uses(names)
    if found:
        where = ", ".join(f"line {line} ({what})" for line, what in found)
        raise AssertionError(f"{rule} Found: {where}.")


def describe(value: Any) -> str:
    """A short description of a value: tensors by shape and dtype, others by type."""
    import torch

    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{type(value).__name__} ({value!r:.60})"


def assert_tensor_close(
    actual: Any,
    expected: "torch.Tensor",
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    name: str = "result",
    check_dtype: bool = True,
) -> None:
    """Fail with shape, dtype or max-abs-error details unless ``actual`` matches ``expected``."""
    import torch

    if not isinstance(actual, torch.Tensor):
        raise AssertionError(f"{name} should be a torch.Tensor, but your code returned {describe(actual)}.")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(
            f"{name} has shape {tuple(actual.shape)}, expected {tuple(expected.shape)}."
        )
    if check_dtype and actual.dtype != expected.dtype:
        raise AssertionError(f"{name} has dtype {actual.dtype}, expected {expected.dtype}.")
    a = actual.detach().to(torch.float64).cpu()
    e = expected.detach().to(torch.float64).cpu()
    bad_a, bad_e = ~torch.isfinite(a), ~torch.isfinite(e)
    if (bad_a != bad_e).any():
        count = int((bad_a & ~bad_e).sum())
        raise AssertionError(
            f"{name} contains {count} NaN/inf value(s) where finite values were expected "
            "(overflow in exp? division by zero?)."
        )
    if a.numel() == 0:
        return
    diff = (a - e).abs().masked_fill(bad_e, 0.0)
    tolerance = atol + rtol * e.abs().masked_fill(bad_e, 0.0)
    if (diff > tolerance).any():
        worst = int(torch.argmax(diff - tolerance))
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), a.shape))
        raise AssertionError(
            f"{name} differs from the expected values: max abs error {float(diff.max()):.3g} "
            f"(allowed {atol:g} + {rtol:g}·|expected|); worst at index {index}: "
            f"got {float(a[index]):.6g}, expected {float(e[index]):.6g}."
        )


class Artifacts:
    """Publishes plots and text the page draws: each call writes one JSON file."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _write(self, name: str, kind: str, payload: dict[str, Any]) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        record = {"name": str(name)[:100], "kind": kind, **payload}
        (self._dir / f"{next(_ARTIFACT_NUMBERS):04d}.json").write_text(json.dumps(record, allow_nan=False))

    def line(self, name: str, y: Sequence[float], x: Sequence[float] | None = None,
             x_label: str = "step", y_label: str = "value") -> None:
        """A line chart, e.g. a loss curve."""
        ys = [float(v) for v in list(y)[:MAX_ARTIFACT_POINTS]]
        xs = [float(v) for v in (list(x)[:len(ys)] if x is not None else range(len(ys)))]
        ys = [_finite(v) for v in ys]
        self._write(name, "line", {"x": xs, "y": ys, "x_label": x_label, "y_label": y_label})

    def heatmap(self, name: str, matrix: Any, x_labels: Sequence[str] | None = None,
                y_labels: Sequence[str] | None = None) -> None:
        """A matrix drawn as a heatmap, e.g. attention weights (rows attend to columns)."""
        rows = [[_finite(v) for v in row] for row in (matrix.tolist() if hasattr(matrix, "tolist") else matrix)]
        rows = [r[:64] for r in rows[:64]]
        self._write(name, "heatmap", {
            "matrix": rows,
            "x_labels": [str(s) for s in (x_labels or range(len(rows[0]) if rows else 0))][:64],
            "y_labels": [str(s) for s in (y_labels or range(len(rows)))][:64],
        })

    def text(self, name: str, text: str) -> None:
        """A block of text, e.g. characters sampled from a language model."""
        self._write(name, "text", {"text": str(text)[:MAX_ARTIFACT_TEXT]})

    def live_line(self, name: str, y: Sequence[float], x: Sequence[float] | None = None,
                  x_label: str = "step", y_label: str = "value") -> None:
        """A line chart the page shows *while the run goes on* (e.g. the loss so far); call it again
        to replace it. Display only: it is not stored with the verdict (publish a ``line`` for that).
        """
        ys = [_finite(float(v)) for v in list(y)[-MAX_ARTIFACT_POINTS:]]
        xs = [float(v) for v in (list(x)[-len(ys):] if x is not None and ys else range(len(ys)))]
        live = self._dir / LIVE_DIR
        live.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")[:40] or "live"
        record = {"name": str(name)[:100], "kind": "line", "x": xs, "y": ys, "x_label": x_label, "y_label": y_label}
        # Written whole, then renamed: the grader polling the folder never reads half a file.
        partial = live / f".{slug}.partial"
        partial.write_text(json.dumps(record, allow_nan=False))
        os.replace(partial, live / f"{slug}.json")

    def metric(self, name: str, value: float) -> None:
        """A number the platform stores with the submission, e.g. a measured validation loss.

        Leaderboards rank learners by these, so the grader keeps a value only when

        - it is published by the running test's own code: the test function, or a fixture or
          helper defined in the same test file (not a helper imported from another file). A
          call from the learner's code (their ``train()``, a thread, import time) is ignored;
        - that test is a public one. A hidden test's metrics are never stored: learners'
          code runs there after the public tests published, and hidden tests show nothing.

        If a name is written twice, the later value counts; at most 16 names are kept, the
        most recently written. ``name`` is lowercase letters and underscores (at most 64); a
        value that is not finite (a diverged loss) is not recorded: there is nothing to rank.
        """
        if not isinstance(name, str) or not METRIC_NAME.fullmatch(name):
            raise ValueError(f"metric name {name!r}: use 1 to 64 lowercase letters and underscores")
        number = float(value)
        if not math.isfinite(number):
            return
        sink = metric_sink
        if sink is not None:
            sink(name, number)


def _finite(value: Any) -> float | None:
    """JSON has no NaN or infinity: such points are drawn as gaps."""
    value = float(value)
    return value if math.isfinite(value) else None


def artifacts() -> Artifacts:
    """The artifact sink for this run (the harness fixture ``artifacts`` returns the same)."""
    return Artifacts(Path(os.environ.get(ARTIFACT_DIR_ENV, "artifacts")))


def corpus_path() -> Path | None:
    """The tiny Shakespeare corpus when the platform made it available to this run, else None."""
    path = os.environ.get(ENV_CORPUS)
    return Path(path) if path and Path(path).is_file() else None


def pretrained_path(name: str) -> Path:
    """The folder of one of the course's pre-trained artefacts (``tiny-gpt2``, ``tiny-bert``,
    ``word-vectors``), read-only. Fails the test with what an admin must do when it is not built."""
    import pytest

    folder = os.environ.get(ENV_MODELS_DIR)
    path = Path(folder) / name if folder else None
    if path is None or not (path / "MANIFEST.json").is_file():
        pytest.fail(f"the course's pre-trained {name!r} is not on this grader yet: the app builds it in the "
                    f"background when it starts (a few minutes), or an admin runs `python -m courseware models build`. "
                    f"Try again later; this is not a problem with your code.", pytrace=False)
    return path


def own_text_path() -> Path | None:
    """The learner's own text (a UTF-8 file) in a playground run ("Try it on your own text"), else None."""
    folder = os.environ.get(ENV_INPUT_DIR)
    path = Path(folder) / "own_text.txt" if folder else None  # sandbox.inputs.OWN_TEXT
    return path if path is not None and path.is_file() else None
