"""Run every exercise through the real checker: the reference must pass, the starter must fail,
every mutant (a realistic wrong solution) must fail with the test its docstring names among the
failures, every variant (an unusual correct solution) must pass, and where an exercise has a
playground, the reference must pass it on a sample of "own text".

    python -m sandbox validate            # all exercises
    python -m sandbox validate stable-softmax

Every grading run is its own job in one pool of ``workers`` slots, so the mutants of a short
exercise grade while a long training exercise holds another slot.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sandbox.inputs import OWN_TEXT
from sandbox.result import CheckResult
from courseware.loader import mutant_catchers
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
class ExampleCheck:
    """How one mutant or variant fared."""

    kind: str
    """``mutant`` (must fail) or ``variant`` (must pass)."""
    name: str
    ok: bool
    caught_by: tuple[str, ...]
    """The tests that did not pass (for a mutant: the ones that caught it)."""
    problem: str = ""


@dataclass(frozen=True)
class ExerciseCheck:
    """How one exercise fared in validation."""

    exercise_id: str
    problems: tuple[str, ...]
    solution_summary: str
    starter_summary: str
    seconds: float
    examples: tuple[ExampleCheck, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, kind: str) -> tuple[int, int]:
        """(as expected, total) for ``mutant`` or ``variant``."""
        mine = [e for e in self.examples if e.kind == kind]
        return sum(e.ok for e in mine), len(mine)


def _failing(result: CheckResult) -> list[str]:
    return [f"{t.name}: {t.outcome} {t.message}" for t in result.tests if t.outcome != "passed"]


def _base_name(test_name: str) -> str:
    """``test_x[case-1]`` → ``test_x`` (parametrised cases share their function's name)."""
    return test_name.split("[", 1)[0]


def judge_mutant(path: Path, result: CheckResult) -> ExampleCheck:
    """A mutant is caught when its run is judged (not an error) and a test it names failed."""
    caught = tuple(t.name for t in result.tests if t.outcome in ("failed", "error"))
    expected = mutant_catchers(path)
    if result.status == "passed":
        return ExampleCheck("mutant", path.stem, False, (), "passes every test: the tests miss this mistake")
    if result.status == "error" or not caught:
        return ExampleCheck("mutant", path.stem, False, caught,
                            f"the run is an error, not a failing test: {result.error_reason}")
    if expected and not {_base_name(n) for n in caught} & set(expected):
        return ExampleCheck("mutant", path.stem, False, caught,
                            f"fails, but not in {', '.join(expected)} as its docstring says "
                            f"(caught by {', '.join(caught)})")
    return ExampleCheck("mutant", path.stem, True, caught)


def judge_variant(path: Path, result: CheckResult) -> ExampleCheck:
    """A variant must pass every test."""
    failing = _failing(result)
    if result.status == "passed":
        return ExampleCheck("variant", path.stem, True, ())
    return ExampleCheck("variant", path.stem, False, tuple(t.name for t in result.tests if t.outcome != "passed"),
                        f"is {result.status}: " + ("; ".join(failing) or result.error_reason or ""))


def _summarise(spec: ExerciseSpec, solution: CheckResult, starter: CheckResult,
               playground: CheckResult | None, examples: list[ExampleCheck], seconds: float) -> ExerciseCheck:
    problems: list[str] = []
    if solution.status != "passed":
        problems.append(f"solution.py must pass every test but is {solution.status}: "
                        + ("; ".join(_failing(solution)) or solution.error_reason or ""))
    if not any(t.visibility == "public" for t in solution.tests):
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
    if starter.status == "passed":
        problems.append("starter.py passes every test; it must fail at least one")
    elif starter.status == "error":
        problems.append(f"starter.py must fail tests, not crash the run: {starter.error_reason}")
    if playground is not None:
        if playground.status != "passed":
            problems.append(f"solution.py must pass the playground ({spec.playground.name}) on a sample text but is "
                            f"{playground.status}: " + ("; ".join(_failing(playground)) or playground.error_reason or ""))
        elif not playground.artifacts:
            problems.append(f"the playground ({spec.playground.name}) publishes nothing; show the learner what "
                            "their model learned with artifacts().text/line")
    problems += [f"{e.kind} {e.name} {e.problem}" for e in examples if not e.ok]
    return ExerciseCheck(
        spec.id, tuple(problems),
        f"{solution.status} {solution.passed_count}/{len(solution.tests)}",
        f"{starter.status} {starter.passed_count}/{len(starter.tests)}",
        seconds, tuple(examples),
    )


def validate_all(checker, specs: list[ExerciseSpec], workers: int = 2) -> list[ExerciseCheck]:
    """Validate exercises with every grading run in one pool; results in the order given.

    Long exercises' runs are queued first so that they overlap with the many short ones.
    """
    jobs: list[tuple[str, Path | None, ExerciseSpec]] = []
    for spec in specs:
        jobs += [("solution", None, spec), ("starter", None, spec)]
        if spec.playground is not None:
            jobs.append(("playground", None, spec))
        jobs += [("mutant", p, spec) for p in spec.mutants]
        jobs += [("variant", p, spec) for p in spec.variants]
    # Longest time limits first, so the slowest runs start at once and the rest fill around them.
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i][2].limits.time_s)

    def grade(job: tuple[str, Path | None, ExerciseSpec]) -> CheckResult:
        kind, path, spec = job
        if kind == "starter":
            return checker.check(spec, spec.starter, "submit")
        if kind == "playground":
            return checker.check(spec, spec.solution_path.read_text(encoding="utf-8"), "run",
                                 inputs={OWN_TEXT: SAMPLE_OWN_TEXT})
        source = spec.solution_path if path is None else path
        return checker.check(spec, source.read_text(encoding="utf-8"), "submit")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures: dict[int, Future[CheckResult]] = {i: pool.submit(grade, jobs[i]) for i in order}
        results = {i: f.result() for i, f in futures.items()}

    checks: list[ExerciseCheck] = []
    for spec in specs:
        mine = [(jobs[i], results[i]) for i in range(len(jobs)) if jobs[i][2] is spec]
        by_kind = {job[0]: result for job, result in mine if job[1] is None}
        examples = [judge_mutant(job[1], r) if job[0] == "mutant" else judge_variant(job[1], r)
                    for job, r in mine if job[1] is not None]
        seconds = sum(r.duration_s for _, r in mine)
        checks.append(_summarise(spec, by_kind["solution"], by_kind["starter"], by_kind.get("playground"),
                                 examples, seconds))
    return checks


def validate_exercise(checker, spec: ExerciseSpec) -> ExerciseCheck:
    """Validate one exercise (its runs one after another)."""
    return validate_all(checker, [spec], workers=1)[0]


def mutation_table(results: list[ExerciseCheck]) -> list[str]:
    """Per exercise: mutants caught of written, variants passed of written, and what caught each mutant."""
    lines = [f"{'exercise':40s} {'mutants':>9s} {'variants':>9s}  caught by"]
    for r in results:
        caught, mutants = r.count("mutant")
        passed, variants = r.count("variant")
        detail = "; ".join(f"{e.name} ← {', '.join(e.caught_by[:2]) or '—'}"
                           for e in r.examples if e.kind == "mutant")
        lines.append(f"{r.exercise_id:40s} {caught:>4d} / {mutants:<2d} {passed:>4d} / {variants:<2d}  {detail}")
    return lines


def mutation_summary(results: list[ExerciseCheck]) -> str:
    """The final line: ``mutants: caught C of M, variants: passed P of V``."""
    caught = sum(r.count("mutant")[0] for r in results)
    mutants = sum(r.count("mutant")[1] for r in results)
    passed = sum(r.count("variant")[0] for r in results)
    variants = sum(r.count("variant")[1] for r in results)
    return f"mutants: caught {caught} of {mutants}, variants: passed {passed} of {variants}"
