"""A deadline burst: many learners submit at once; every submission must end graded and stored.

    .venv/bin/python bench/burst.py [--users 50] [--submissions 200]
    .venv/bin/python bench/burst.py --backend local,celery --submissions 1000

Submissions go through ``GradingService.submit`` from many threads at once (as page
sessions would), against a throw-away SQLite file and the configured engine (warm by
default). Meanwhile a "page request" — what the exercise page does on a rerun: the track
outline with progress plus a verdict read — is timed every 50 ms. For each backend it prints
the time until the last verdict (throughput), the submit-to-verdict latency, the page-request
latency during the burst, and fails if any submission was lost or is still queued/running.

``celery`` starts a throw-away Redis on loopback and ``--celery-workers`` worker processes
(``python -m grading.worker``) with one slot each, the same number of slots as the local pool.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from config import PROJECT_ROOT, Settings  # noqa: E402
from db import submissions, users  # noqa: E402
from portal.catalog import track_outline  # noqa: E402
from portal.context import build_context  # noqa: E402

from redis_server import start_redis  # noqa: E402
from verdict_latency import percentile  # noqa: E402

EXERCISES = ("scaled-dot-product-attention", "stable-softmax", "bigram-model")


def start_workers(env: dict[str, str], count: int, log_dir: Path) -> list[subprocess.Popen]:
    """Celery workers with one slot each, as the README starts them."""
    return [subprocess.Popen([sys.executable, "-m", "grading.worker", "--concurrency", "1", "--loglevel", "WARNING"],
                             cwd=PROJECT_ROOT, env=os.environ | env, start_new_session=True,
                             stdout=open(log_dir / f"worker-{i}.log", "wb"), stderr=subprocess.STDOUT)
            for i in range(count)]


def burst(backend: str, args: argparse.Namespace, tmp: Path) -> dict:
    """Run one burst on ``backend``; returns its figures."""
    rng = random.Random(0)
    content = os.environ.get("COURSE_CONTENT_DIR", str(PROJECT_ROOT))
    env = {"COURSE_DATA_DIR": str(tmp / "data"), "COURSE_CONTENT_DIR": content, "CHECKER_BACKEND": backend,
           "MODELS_AUTOBUILD": "no", "CHECKER_GPU": "no"}
    workers: list[subprocess.Popen] = []
    redis_proc = None
    if backend == "celery":
        redis_proc, env["CELERY_BROKER_URL"] = start_redis(tmp)
    ctx = build_context(Settings.from_env(env))
    try:
        if backend == "celery":
            workers = start_workers(env, args.celery_workers, tmp)
            deadline = time.monotonic() + 180
            while len(ctx.backend.workers()) < args.celery_workers:
                if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                    sys.exit(f"celery workers did not start; see {tmp}/worker-*.log")
                time.sleep(0.2)
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
        engine = type(ctx.grading_engine).__name__
    finally:
        ctx.close()
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
    latencies = [(s.finished_at - s.created_at).total_seconds() for s in stored if s and s.finished_at]
    return {"backend": backend, "engine": engine, "submitted": submitted, "last": last_verdict,
            "statuses": [s.status if s else "lost" for s in stored], "unfinished": unfinished,
            "latencies": latencies, "pages": page_latencies}


def report(f: dict, args: argparse.Namespace) -> bool:
    """Print one backend's figures; False when something was lost, stuck or errored."""
    statuses = f["statuses"]
    print(f"{f['backend']}: {args.submissions} submissions from {args.users} users at once, engine {f['engine']}")
    print(f"  all submitted in {f['submitted']:.2f} s; last verdict stored at {f['last']:.2f} s "
          f"({args.submissions / f['last']:.1f} verdicts/s)")
    print(f"  submit-to-verdict latency: p50 {percentile(f['latencies'], 50):.2f} s  "
          f"p95 {percentile(f['latencies'], 95):.2f} s  max {max(f['latencies']):.2f} s")
    print(f"  verdicts: {', '.join(f'{s}={statuses.count(s)}' for s in sorted(set(statuses)))}; "
          f"lost: {statuses.count('lost')}; still queued/running: {len(f['unfinished'])}")
    pages = f["pages"]
    print(f"  page request during the burst (n={len(pages)}): p50 {percentile(pages, 50) * 1000:.0f} ms"
          f"  p95 {percentile(pages, 95) * 1000:.0f} ms  max {max(pages) * 1000:.0f} ms")
    return not ("lost" in statuses or f["unfinished"] or "error" in statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--backend", default="local", help="local, celery, or both as local,celery")
    parser.add_argument("--celery-workers", type=int, default=2, help="worker processes for celery (1 slot each)")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if not backends or set(backends) - {"local", "celery"}:
        sys.exit(f"--backend {args.backend!r}: use local, celery or local,celery")
    ok = True
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"burst-{backend}-") as tmp:
            ok = report(burst(backend, args, Path(tmp)), args) and ok
    if not ok:
        sys.exit("FAIL: some submissions were lost, stuck or errored")


if __name__ == "__main__":
    main()
