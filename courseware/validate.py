"""Run every exercise through the real checker: the reference must pass, the starter must fail,
and where an exercise has a playground, the reference must pass it on a sample of "own text".

    python -m courseware validate            # all exercises
    python -m courseware validate stable-softmax
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from checker.inputs import OWN_TEXT
from courseware.spec import ExerciseSpec

# An original text standing in for a learner's upload (over the platform's 500-character minimum).
SAMPLE_OWN_TEXT = (
    "The ferry leaves at seven, and the harbour wakes before it does.\n"
    "Nets are hung to dry on the wall; a boy counts the crates twice.\n"
    "Somebody has left a radio on, playing to the gulls and the rope.\n"
    "The baker waves flour from her hands and shouts the price of rye.\n"
    "Out past the breakwater the water is green, then grey, then blue.\n"
    "An old man mends a sail with a needle as long as his finger.\n"
    "The ferry sounds its horn once, and the dogs answer it three times.\n"
    "By noon the crates are gone, the nets are dry, and the radio is quiet.\n"
    "The harbour sleeps in the heat until the evening boats come home.\n"
) * 2


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
    if spec.leaderboard is not None and solution.status == "passed":
        board = spec.leaderboard
        published = {m.name for m in solution.metrics}
        unpublished = [n for n in (board.metric, board.time_metric, board.profile_metric) if n and n not in published]
        if unpublished:
            problems.append(f"the leaderboard needs the metric(s) {', '.join(unpublished)}, but the reference's run "
                            "published none such; publish them in a test with artifacts().metric(name, value)")
    starter = checker.check(spec, spec.starter, "submit")
    if starter.status == "passed":
        problems.append("starter.py passes every test; it must fail at least one")
    elif starter.status == "error":
        problems.append(f"starter.py must fail tests, not crash the run: {starter.error_reason}")
    seconds = solution.duration_s + starter.duration_s
    if spec.playground is not None:
        playground = checker.check(spec, spec.solution_path.read_text(encoding="utf-8"), "run",
                                   inputs={OWN_TEXT: SAMPLE_OWN_TEXT})
        seconds += playground.duration_s
        if playground.status != "passed":
            failing = [f"{t.name}: {t.outcome} {t.message}" for t in playground.tests if t.outcome != "passed"]
            problems.append(f"solution.py must pass the playground ({spec.playground.name}) on a sample text but is "
                            f"{playground.status}: " + ("; ".join(failing) or playground.error_reason or ""))
        elif not playground.artifacts:
            problems.append(f"the playground ({spec.playground.name}) publishes nothing; show the learner what "
                            "their model learned with artifacts().text/line")
    return ExerciseCheck(
        spec.id, tuple(problems),
        f"{solution.status} {solution.passed_count}/{len(solution.tests)}",
        f"{starter.status} {starter.passed_count}/{len(starter.tests)}",
        seconds,
    )


def validate_all(checker, specs: list[ExerciseSpec], workers: int = 2) -> list[ExerciseCheck]:
    """Validate exercises in parallel; results in the order given."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: validate_exercise(checker, s), specs))
