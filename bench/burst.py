"""A deadline burst: many learners submit at once; every submission must end graded and stored.

    .venv/bin/python bench/burst.py [--users 50] [--submissions 200]

Submissions go through ``GradingService.submit`` from many threads at once (as page
sessions would), against a throw-away SQLite file and the configured engine (warm by
default). Meanwhile a "page request" — what the exercise page does on a rerun: the track
outline with progress plus a verdict read — is timed every 50 ms. It prints the time until
the last verdict, the page-request latency during the burst, and fails if any submission
was lost or is still queued/running.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from courseware.settings import PROJECT_ROOT, Settings  # noqa: E402
from db import submissions, users  # noqa: E402
from portal.catalog import track_outline  # noqa: E402
from portal.context import build_context  # noqa: E402

from verdict_latency import percentile  # noqa: E402

EXERCISES = ("scaled-dot-product-attention", "stable-softmax", "bigram-model")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="burst-") as tmp:
        content = os.environ.get("COURSE_CONTENT_DIR", str(PROJECT_ROOT))
        ctx = build_context(Settings.from_env({"COURSE_DATA_DIR": tmp, "COURSE_CONTENT_DIR": content}))
        try:
            with ctx.sessions() as session:
                ids = [users.create_user(session, f"learner{i:03d}", "burst-password").id for i in range(args.users)]
                session.commit()
            codes = {e: (ctx.bank.exercises[e].solution_path.read_text(), ctx.bank.exercises[e].starter) for e in EXERCISES}
            jobs = [(rng.choice(ids), e, codes[e][rng.random() < 0.3]) for e in rng.choices(EXERCISES, k=args.submissions)]
            track_id = next(iter(ctx.bank.tracks))
            page_latencies: list[float] = []
            done = threading.Event()

            def page_requests() -> None:
                while not done.is_set():
                    start = time.perf_counter()
                    track_outline(ctx.sessions, ctx.bank, ids[0], track_id)
                    ctx.grading.verdict(user_id=ids[0], submission_id=1)
                    page_latencies.append(time.perf_counter() - start)
                    time.sleep(0.05)

            pager = threading.Thread(target=page_requests)
            start = time.perf_counter()
            pager.start()
            with ThreadPoolExecutor(max_workers=args.users) as pool:
                receipts = list(pool.map(lambda j: ctx.grading.submit(user_id=j[0], exercise_id=j[1], code=j[2],
                                                                         mode="submit"), jobs))
            submitted = time.perf_counter() - start
            deadline = start + args.timeout
            while time.perf_counter() < deadline:
                with ctx.sessions() as session:
                    if not submissions.unfinished_ids(session):
                        break
                time.sleep(0.05)
            last_verdict = time.perf_counter() - start
            done.set()
            pager.join()
            with ctx.sessions() as session:
                stored = [submissions.get_submission(session, r.submission_id) for r in receipts]
                unfinished = submissions.unfinished_ids(session)
        finally:
            ctx.close()
    statuses = [s.status if s else "lost" for s in stored]
    print(f"burst: {args.submissions} submissions from {args.users} users at once, engine {type(ctx.checker).__name__}")
    print(f"  all submitted in {submitted:.2f} s; last verdict stored at {last_verdict:.2f} s "
          f"({args.submissions / last_verdict:.1f} verdicts/s)")
    print(f"  verdicts: {', '.join(f'{s}={statuses.count(s)}' for s in sorted(set(statuses)))}; "
          f"lost: {statuses.count('lost')}; still queued/running: {len(unfinished)}")
    print(f"  page request during the burst (n={len(page_latencies)}): p50 {percentile(page_latencies, 50) * 1000:.0f} ms"
          f"  p95 {percentile(page_latencies, 95) * 1000:.0f} ms  max {max(page_latencies) * 1000:.0f} ms")
    if "lost" in statuses or unfinished or "error" in statuses:
        sys.exit("FAIL: some submissions were lost, stuck or errored")


if __name__ == "__main__":
    main()
