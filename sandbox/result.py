"""Result objects of a grading run. A crash becomes a result, never a traceback on the page."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["passed", "failed", "error", "skipped"]
Status = Literal["passed", "failed", "error"]
Visibility = Literal["public", "hidden"]


@dataclass(frozen=True)
class TestOutcome:
    """The verdict of one test function (one parametrised case)."""

    name: str
    """Test name as the learner sees it, e.g. ``test_rows_sum_to_one``."""
    visibility: Visibility
    """Hidden tests show their name and message, never their source."""
    outcome: Outcome
    message: str
    """What went wrong, in words a learner can act on (empty when passed)."""
    duration_s: float

    def as_row(self) -> dict[str, object]:
        """The dict ``db.submissions.store_result`` stores."""
        return {"name": self.name, "visibility": self.visibility, "outcome": self.outcome,
                "message": self.message, "duration_s": self.duration_s}


@dataclass(frozen=True)
class Artifact:
    """A plot or text the learner's code produced, drawn by the page."""

    name: str
    kind: Literal["line", "heatmap", "text"]
    payload: str
    """JSON text as written by the harness (size-checked)."""

    def as_row(self) -> dict[str, object]:
        """The dict ``db.submissions.store_result`` stores."""
        return {"name": self.name, "kind": self.kind, "payload": self.payload}


@dataclass(frozen=True)
class Metric:
    """A number a test measured, e.g. the validation loss of a trained model (for leaderboards)."""

    name: str
    value: float

    def as_row(self) -> dict[str, object]:
        """The dict ``db.submissions.store_result`` stores."""
        return {"name": self.name, "value": self.value}


@dataclass(frozen=True)
class CheckResult:
    """Everything one grading run found out."""

    status: Status
    """passed: every test passed; failed: a test failed; error: no trustworthy report."""
    tests: tuple[TestOutcome, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    metrics: tuple[Metric, ...] = ()
    """Numbers the tests published; only a trusted run (passed or failed) carries them."""
    error_reason: str | None = None
    """Why the run is an error, for the learner (time limit, crash before the report...)."""
    output: str = ""
    """pytest's console output, truncated to the exercise's output limit."""
    duration_s: float = 0.0
    cpu_s: float | None = None
    """CPU seconds the test process used (user + system), where the engine measures it."""
    phases: dict[str, float] = field(default_factory=dict, compare=False)
    """When the engine finished each step (``time.monotonic()``: forked, collected, tests,
    answered, report), where it measures them; for the latency log only, never stored."""

    @property
    def passed_count(self) -> int:
        """How many tests passed."""
        return sum(t.outcome == "passed" for t in self.tests)

    def broken_rules(self, rules: tuple[str, ...] | list[str] = ()) -> list[str]:
        """The tests among ``rules`` (the exercise's rule tests, by function name) that did not pass."""
        wanted = set(rules)
        return [t.name for t in self.tests if t.name.split("[", 1)[0] in wanted and t.outcome != "passed"]

    def score(self, points: float, rules: tuple[str, ...] | list[str] = ()) -> float:
        """Points earned: partial credit per passed test; an error or a broken rule earns nothing."""
        if self.status == "error" or not self.tests or self.broken_rules(rules):
            return 0.0
        return round(points * self.passed_count / len(self.tests), 2)

    @classmethod
    def from_error(cls, reason: str, output: str = "", duration_s: float = 0.0,
                   tests: tuple[TestOutcome, ...] = ()) -> "CheckResult":
        """A run that could not be trusted or did not finish: no points, a reason to read."""
        return cls(status="error", tests=tests, error_reason=reason, output=output, duration_s=duration_s)
