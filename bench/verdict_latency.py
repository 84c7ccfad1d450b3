"""Submit → stored verdict latency through the real service, queue, sandbox and database.

    .venv/bin/python bench/verdict_latency.py [-n 20] [--exercise scaled-dot-product-attention]

Each submission goes through ``GradingService.submit`` (the call the page makes), is
graded by the local worker pool in bubblewrap, and counts as done when its verdict row
is committed. Submissions go one after another, so this is latency, not throughput.
It uses a throw-away data folder and prints p50/p95/max.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from courseware.settings import PROJECT_ROOT, Settings  # noqa: E402
from db import users  # noqa: E402
from portal.context import build_context  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="submissions (default 20)")
    parser.add_argument("--exercise", default="scaled-dot-product-attention")
    parser.add_argument("--mode", default="submit", choices=["run", "submit"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        content = os.environ.get("COURSE_CONTENT_DIR", str(PROJECT_ROOT))
        settings = Settings.from_env({"COURSE_DATA_DIR": tmp, "COURSE_CONTENT_DIR": content})
        ctx = build_context(settings)
        try:
            with ctx.sessions() as session:
                user = users.create_user(session, "bench", "bench-password")
                session.commit()
                user_id = user.id
            spec = ctx.bank.exercises[args.exercise]
            code = spec.solution_path.read_text()
            latencies, statuses = [], []
            for _ in range(args.n):
                start = time.perf_counter()
                receipt = ctx.grading.submit(user_id=user_id, exercise_id=spec.id, code=code, mode=args.mode)
                while True:
                    view = ctx.grading.verdict(user_id=user_id, submission_id=receipt.submission_id)
                    if view.final:
                        break
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - start)
                statuses.append(view.status)
        finally:
            ctx.close()
    print(f"verdict latency, {args.exercise} ({args.mode}), n={args.n}, sandbox={settings.checker_sandbox}, "
          f"workers={settings.checker_workers}")
    print(f"  p50 {percentile(latencies, 50):.3f} s   p95 {percentile(latencies, 95):.3f} s   "
          f"mean {statistics.mean(latencies):.3f} s   max {max(latencies):.3f} s")
    print(f"  verdicts: {', '.join(f'{s}={statuses.count(s)}' for s in sorted(set(statuses)))}")
    if set(statuses) != {"passed"}:
        sys.exit("the reference solution did not pass every time: the benchmark is not measuring grading")


if __name__ == "__main__":
    main()
