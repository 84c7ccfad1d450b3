"""Run every exercise through the real checker: the reference must pass, the starter must fail.

    python -m courseware validate            # all exercises
    python -m courseware validate stable-softmax
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from courseware.spec import ExerciseSpec


@dataclass(frozen=True)
class ExerciseCheck:
    """How one exercise fared in validation."""

    exercise_id: str
    problems: tuple[str, ...]
    solution_summary: str
    starter_summary: str
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_exercise(checker, spec: ExerciseSpec) -> ExerciseCheck:
    """Grade the reference and the starter with every test (``submit`` mode)."""
    problems: list[str] = []
    solution = checker.check(spec, spec.solution_path.read_text(encoding="utf-8"), "submit")
    if solution.status != "passed":
        failing = [f"{t.name}: {t.outcome} {t.message}" for t in solution.tests if t.outcome != "passed"]
        problems.append(f"solution.py must pass every test but is {solution.status}: "
                        + ("; ".join(failing) or solution.error_reason or ""))
    public_names = {t.name for t in solution.tests if t.visibility == "public"}
    if not public_names:
        problems.append("tests/test_public.py defines no test")
    if not any(t.visibility == "hidden" for t in solution.tests):
        problems.append("tests/test_hidden.py defines no test")
    starter = checker.check(spec, spec.starter, "submit")
    if starter.status == "passed":
        problems.append("starter.py passes every test; it must fail at least one")
    elif starter.status == "error":
        problems.append(f"starter.py must fail tests, not crash the run: {starter.error_reason}")
    return ExerciseCheck(
        spec.id, tuple(problems),
        f"{solution.status} {solution.passed_count}/{len(solution.tests)}",
        f"{starter.status} {starter.passed_count}/{len(starter.tests)}",
        solution.duration_s + starter.duration_s,
    )


def validate_all(checker, specs: list[ExerciseSpec], workers: int = 2) -> list[ExerciseCheck]:
    """Validate exercises in parallel; results in the order given."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: validate_exercise(checker, s), specs))
