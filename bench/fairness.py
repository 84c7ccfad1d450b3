"""Short work under long load: how long a quick Submit waits while training labs hold the long slots.

    .venv/bin/python bench/fairness.py [--seconds 60] [--interval 0.5] [--workers 2] [--long-slots 1]

A real platform on a throw-away SQLite file and the real content, local pool of ``--workers``
slots: learners keep a GPT training lab (``gpt-tiny-shakespeare``, about 80 s, the long lane)
running on every long slot, with one more long job always waiting. Meanwhile other learners
submit short exercises (reference solutions) at random, ``--interval`` seconds apart on average,
for ``--seconds``.
A short job's wait is from its submit to a slot claiming it (the database's own timestamps).
The last line is the figure: ``short-job wait under long load: p50 X s, p95 Y s`` (target: p95 ≤ 1 s).
``--long-slots`` equal to ``--workers`` shows what it would be without a reserved short slot.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config import PROJECT_ROOT, Settings  # noqa: E402
from courseware.corpus import corpus_file  # noqa: E402
from db import users  # noqa: E402
from db.models import Submission  # noqa: E402
from portal.context import build_context  # noqa: E402

from verdict_latency import percentile  # noqa: E402

LONG_EXERCISE = "gpt-tiny-shakespeare"
SHORT_EXERCISES = ("stable-softmax", "scaled-dot-product-attention", "bigram-model")


def main() -> int:
    """Run the load and print the short jobs' waits; exit 1 when the corpus is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--long-slots", type=int, default=1)
    args = parser.parse_args()
    corpus = corpus_file(PROJECT_ROOT / "data")
    if corpus is None:
        print("the GPT lab needs tiny Shakespeare: run `make corpus` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-fairness-") as tmp:
        (Path(tmp) / "corpus").mkdir()
        shutil.copyfile(corpus, Path(tmp) / "corpus" / corpus.name)
        settings = Settings.from_env({"COURSE_DATA_DIR": tmp, "COURSE_CONTENT_DIR": str(PROJECT_ROOT),
                                      "MODELS_AUTOBUILD": "no",
                                      "CHECKER_WORKERS": str(args.workers), "CHECKER_LONG_SLOTS": str(args.long_slots),
                                      "CHECKER_GPU": "no"})
        ctx = build_context(settings)
        try:
            waits, statuses = load(ctx, args)
        finally:
            ctx.backend.shutdown(wait=False)
            ctx.grading_engine.close()  # ends the training still running
            ctx.close()
    print(f"{len(waits)} short Submits among long jobs on {args.long_slots} of {args.workers} slots; "
          f"verdicts: {', '.join(f'{s}={statuses.count(s)}' for s in sorted(set(statuses)))}")
    print(f"short-job wait under long load: p50 {percentile(waits, 50):.3f} s, p95 {percentile(waits, 95):.3f} s")
    return 0


def load(ctx, args: argparse.Namespace) -> tuple[list[float], list[str]]:
    """Keep the long slots busy, submit short work among them; the short jobs' waits and verdicts."""
    bank = ctx.bank
    with ctx.sessions() as session:
        trainers = [users.create_user(session, f"trainer{i}", "bench-password").id for i in range(args.long_slots + 1)]
        learners = [users.create_user(session, f"learner{i}", "bench-password").id for i in range(8)]
        session.commit()
    long_code = bank.exercises[LONG_EXERCISE].solution_path.read_text()
    # Every long slot busy, one more long job waiting, before the first short Submit.
    for trainer in trainers:
        ctx.grading.submit(user_id=trainer, exercise_id=LONG_EXERCISE, code=long_code, mode="submit")
    deadline = time.monotonic() + 60
    while running_long(ctx) < args.long_slots:
        if time.monotonic() > deadline:
            raise SystemExit("the long jobs did not start")
        time.sleep(0.1)
    short_ids = []
    rng = random.Random(0)
    start = time.monotonic()
    i = 0
    # Arrivals at random (a Poisson process, ``--interval`` apart on average), so short jobs
    # sometimes meet each other as well as the training.
    while time.monotonic() - start < args.seconds:
        exercise = SHORT_EXERCISES[i % len(SHORT_EXERCISES)]
        receipt = ctx.grading.submit(user_id=learners[i % len(learners)], exercise_id=exercise,
                                     code=bank.exercises[exercise].solution_path.read_text(), mode="submit")
        short_ids.append(receipt.submission_id)
        i += 1
        time.sleep(rng.expovariate(1 / args.interval))
    if running_long(ctx) < args.long_slots:
        print("warning: a long slot went idle during the run; lengthen the long jobs or shorten --seconds",
              file=sys.stderr)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with ctx.sessions() as session:
            rows = session.query(Submission).filter(Submission.id.in_(short_ids)).all()
            if all(r.status in ("passed", "failed", "error") for r in rows):
                break
        time.sleep(0.2)
    waits = [(r.started_at - r.created_at).total_seconds() for r in rows if r.started_at is not None]
    return waits, [r.status for r in rows]


def running_long(ctx) -> int:
    with ctx.sessions() as session:
        return session.query(Submission).filter(Submission.queue == "long", Submission.status == "running").count()


if __name__ == "__main__":
    sys.exit(main())
