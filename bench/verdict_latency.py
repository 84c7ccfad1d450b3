"""Submit → stored verdict latency through the real service, queue, sandbox and database.

    .venv/bin/python bench/verdict_latency.py [-n 50] [--cold-n 10] [--exercise scaled-dot-product-attention]

Each submission goes through ``GradingService.submit`` (the call the page makes), is graded
by the local worker pool, and counts as done when its verdict row is committed. Submissions
go one after another (latency, not throughput). The warm engine (sandboxed zygotes) is
measured first, then the cold one (a fresh sandboxed ``python -m pytest`` per submission),
each on a throw-away data folder, and the ratio is printed. Targets (sandbox issue):
warm p50 ≤ 0.2 s and p95 ≤ 0.5 s on 2 cores.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import PROJECT_ROOT, Settings  # noqa: E402
from db import users  # noqa: E402
from portal.context import build_context  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


STEPS = ("queued", "claimed", "workspace", "forked", "collected", "tests", "reaped", "answered", "report", "stored",
         "seen")
"""Each submission's path, in order: the service stored it (queued), a worker claimed it, the
zygote wrote the workspace and forked the learner's and the judge's processes, pytest collected
(the judge's word), the tests ended, the job's processes were reaped, the answer reached the host,
the report was parsed, the verdict committed, and the poller saw it final."""


class StepLog(logging.Handler):
    """Keeps the step times ``grading.jobs`` logs for each graded submission."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.steps: dict[int, dict[str, float]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        steps = getattr(record, "steps", None)
        if steps is not None:
            self.steps[int(record.args[0])] = steps


def step_durations(start: float, queued: float, steps: dict[str, float], seen: float) -> dict[str, float]:
    """Seconds spent in each step of ``STEPS`` (those the engine reported), from the submit call."""
    times = {"queued": queued, **steps, "seen": seen}
    durations, previous = {}, start
    for name in STEPS:
        if name in times:
            durations[name] = times[name] - previous
            previous = times[name]
    return durations


def measure(mode: str, n: int, exercise: str, submit_mode: str) -> tuple[list[float], list[str], str, list[dict]]:
    """Latencies, verdicts and step durations of ``n`` sequential submissions with CHECKER_MODE=``mode``."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        content = os.environ.get("COURSE_CONTENT_DIR", str(PROJECT_ROOT))
        settings = Settings.from_env({"COURSE_DATA_DIR": tmp, "COURSE_CONTENT_DIR": content, "CHECKER_MODE": mode})
        ctx = build_context(settings)
        jobs_log = logging.getLogger("grading.jobs")
        step_log = StepLog()
        jobs_log.addHandler(step_log)
        jobs_log.setLevel(logging.DEBUG)
        engine = type(ctx.grading_engine).__name__
        try:
            with ctx.sessions() as session:
                user = users.create_user(session, "bench", "bench-password")
                session.commit()
                user_id = user.id
            code = ctx.bank.exercises[exercise].solution_path.read_text()
            latencies, statuses, breakdowns = [], [], []
            for _ in range(n):
                start = time.monotonic()
                receipt = ctx.grading.submit(user_id=user_id, exercise_id=exercise, code=code, mode=submit_mode)
                queued = time.monotonic()
                while not (view := ctx.grading.verdict(user_id=user_id, submission_id=receipt.submission_id)).final:
                    time.sleep(0.002)
                seen = time.monotonic()
                latencies.append(seen - start)
                statuses.append(view.status)
                steps = step_log.steps.get(receipt.submission_id, {})
                breakdowns.append(step_durations(start, queued, steps, seen))
        finally:
            ctx.close()
            jobs_log.removeHandler(step_log)
    return latencies, statuses, engine, breakdowns


def report_steps(label: str, breakdowns: list[dict[str, float]]) -> None:
    """The median time of each step, in order."""
    parts = [f"{name} {statistics.median(b[name] for b in breakdowns if name in b) * 1000:.0f}"
             for name in STEPS if any(name in b for b in breakdowns)]
    print(f"  {label:5s} steps p50 (ms): " + ", ".join(parts))


def report(label: str, latencies: list[float], statuses: list[str]) -> None:
    print(f"  {label:5s} n={len(latencies):3d}  p50 {percentile(latencies, 50):.3f} s  p95 {percentile(latencies, 95):.3f} s"
          f"  mean {statistics.mean(latencies):.3f} s  max {max(latencies):.3f} s  "
          f"verdicts: {', '.join(f'{s}={statuses.count(s)}' for s in sorted(set(statuses)))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=50, help="warm submissions (default 50)")
    parser.add_argument("--cold-n", type=int, default=10, help="cold submissions (default 10)")
    parser.add_argument("--exercise", default="scaled-dot-product-attention")
    parser.add_argument("--mode", default="submit", choices=["run", "submit"])
    args = parser.parse_args()
    print(f"verdict latency: {args.exercise} ({args.mode}), sequential, {os.cpu_count()} cores")
    warm, warm_status, warm_engine, warm_steps = measure("warm", args.n, args.exercise, args.mode)
    report("warm", warm, warm_status)
    report_steps("warm", warm_steps)
    cold, cold_status, _, cold_steps = measure("cold", args.cold_n, args.exercise, args.mode)
    report("cold", cold, cold_status)
    report_steps("cold", cold_steps)
    print(f"  engine used for 'warm': {warm_engine}; cold/warm p50 ratio: "
          f"{percentile(cold, 50) / percentile(warm, 50):.1f}x")
    if set(warm_status) | set(cold_status) != {"passed"}:
        sys.exit("the reference solution did not pass every time: the benchmark is not measuring grading")


if __name__ == "__main__":
    main()
