"""How long each exercise's reference solution takes in the checker (Submit: all tests).

    .venv/bin/python bench/exercise_times.py [EXERCISE_ID ...]

Runs through the configured engine (warm zygotes by default), three times each, and prints
the best wall time and the CPU time of the test process; the figures content authors quote.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.engines import make_grading_engine  # noqa: E402
from courseware.loader import load_bank  # noqa: E402
from config import get_settings  # noqa: E402


def main() -> None:
    settings = get_settings()
    bank = load_bank(settings.content_dir)
    ids = sys.argv[1:] or sorted(bank.exercises)
    engine = make_grading_engine(settings)
    print(f"engine: {type(engine).__name__}; reference solutions, Submit mode, best of 3")
    print(f"  {'exercise':40s} {'tests':>5s} {'wall s':>7s} {'cpu s':>6s}  limit")
    try:
        for exercise_id in ids:
            spec = bank.exercises[exercise_id]
            runs = [engine.check(spec, spec.solution_path.read_text(), "submit") for _ in range(3)]
            best = min(runs, key=lambda r: r.duration_s)
            cpu = f"{best.cpu_s:6.2f}" if best.cpu_s is not None else "     -"
            flag = "" if all(r.status == "passed" for r in runs) else "  NOT PASSING"
            print(f"  {exercise_id:40s} {len(best.tests):5d} {best.duration_s:7.2f} {cpu}  {spec.limits.time_s:g} s{flag}")
    finally:
        engine.close()


if __name__ == "__main__":
    main()
