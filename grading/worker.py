"""A grading worker for the Celery backend: ``python -m grading.worker``.

    python -m grading.worker                       # queues cpu and long (and gpu when this machine has a GPU)
    python -m grading.worker --queues cpu --concurrency 4     # short work only: quick Submits never wait
    python -m grading.worker --queues long --concurrency 2    # training labs and own-text runs
    CHECKER_GPU=yes python -m grading.worker --queues gpu,cpu

It reads the same settings as the app (DATABASE_URL, CELERY_BROKER_URL, CHECKER_* ...),
loads the course content, starts its sandboxed grading engine, and consumes jobs with a
pool of threads: each thread only waits on a sandboxed process, so one Python process
per machine is enough. It beats a heartbeat into Redis and sweeps for the work of dead
workers (``grading.worker_registry``).
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time

import redis
from celery import signals

from grading.celery_queue import TASK_NAME, make_celery
from sandbox.engines import make_grading_engine
from sandbox.gpu import find_gpu
from grading.live import RedisLiveBoard
from grading.jobs import JobContext, grade_submission
from grading.queue import QUEUES, WorkerStatus
from grading import worker_registry
from courseware.loader import load_bank
from config import Settings, SettingsError
from db import submissions
from db.engine import make_engine, session_factory
from db.in_use import hold_serving_lock
from db.migrate import current_revision, head_revision

log = logging.getLogger("grading.worker")
LEARNER_BUSY_PAUSE_S = 0.25
"""How long a worker waits before sending a job whose learner is busy to the back of its queue."""


class WorkerRuntime:
    """Everything one worker process holds: engine, database sessions, heartbeat and sweeper."""

    def __init__(self, settings: Settings, queues: tuple[str, ...], concurrency: int) -> None:
        gpu = find_gpu(settings.checker_gpu)
        if "gpu" in queues and gpu is None:
            raise SettingsError("--queues includes gpu but this machine shows no usable GPU "
                                "(CHECKER_GPU=no, or no /dev/nvidia* devices): start it with --queues cpu")
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        engine = make_engine(settings.sqlalchemy_url)
        if current_revision(engine) != head_revision():
            raise SettingsError(f"the database at {engine.url.render_as_string(hide_password=True)} is not at the "
                                "latest schema: run `python -m db upgrade` (the web app does it on start)")
        self.db = engine
        self.serving_lock = hold_serving_lock(settings.sqlalchemy_url)  # a restore refuses while held
        self.sessions = session_factory(engine)
        self.bank = load_bank(settings.content_dir)
        self.celery = make_celery(settings.broker_url, self.bank)
        self.redis = redis.Redis.from_url(settings.broker_url, socket_timeout=5, socket_connect_timeout=5)
        self.grading_engine = make_grading_engine(settings, slots=concurrency, gpu=gpu)
        self.jobs = JobContext(self.bank, self.grading_engine, self.sessions, worker=self.name,
                               live=RedisLiveBoard(self.redis))
        has_gpu = getattr(self.grading_engine, "gpu", None) is not None
        if "gpu" in queues and not has_gpu:
            self.grading_engine.close()
            raise SettingsError("--queues includes gpu but the grading engine cannot use the GPU (cold engine: "
                                "run the worker as root with CHECKER_MODE=warm)")
        self.status = WorkerStatus(self.name, queues, concurrency, has_gpu)
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)

    def start_heartbeat(self) -> None:
        """Announce this worker and start beating (before consuming, so the sweep never misjudges it)."""
        worker_registry.beat(self.redis, self.status)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(worker_registry.HEARTBEAT_S):
            try:
                worker_registry.beat(self.redis, self.status)
                worker_registry.sweep(self.redis, self.sessions, self.resend)
            except Exception:  # a broker or database blip must not kill the heartbeat
                log.exception("heartbeat or sweep failed; retrying")

    def resend(self, submission_id: int, queue: str) -> None:
        """Send the job of ``submission_id`` again."""
        self.celery.send_task(TASK_NAME, args=[submission_id], queue=queue)

    def learner_busy(self, submission_id: int) -> bool:
        """Whether a job this worker did not claim still waits (its learner has one running in its lane)."""
        with self.sessions() as session:
            return submissions.still_queued(session, submission_id)

    def close(self) -> None:
        """Stop beating, leave the registry, release the sandboxes and the database."""
        self._stop.set()
        try:
            worker_registry.leave(self.redis, self.name)
        except redis.RedisError:
            pass
        self.grading_engine.close()
        self.db.dispose()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the runtime and run the Celery worker until stopped."""
    parser = argparse.ArgumentParser(prog="python -m grading.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queues", default="", help="comma-separated lanes: cpu (short work), long, gpu "
                                                     "(default: cpu,long, plus gpu on a GPU machine)")
    parser.add_argument("--concurrency", type=int, default=None, help="jobs at once (default CHECKER_WORKERS)")
    parser.add_argument("--loglevel", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.loglevel, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        concurrency = args.concurrency or settings.checker_workers
        if args.queues:
            queues = tuple(q.strip() for q in args.queues.split(",") if q.strip())
            unknown = set(queues) - set(QUEUES)
            if unknown or not queues:
                raise SettingsError(f"--queues {args.queues!r}: use one or more of cpu, long, gpu (e.g. cpu,long)")
        else:
            queues = ("gpu", "cpu", "long") if find_gpu(settings.checker_gpu) else ("cpu", "long")
        runtime = WorkerRuntime(settings, queues, concurrency)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    @runtime.celery.task(name=TASK_NAME, acks_late=True, bind=True)
    def grade(task, submission_id: int) -> str | None:
        status = grade_submission(runtime.jobs, submission_id, one_per_learner=True)
        if status is None and runtime.learner_busy(submission_id):
            # Its learner has a job running in this lane: send it to the back of the queue, so
            # this slot takes another learner's job meanwhile (the pause bounds a lone job's polling).
            time.sleep(LEARNER_BUSY_PAUSE_S)
            runtime.resend(submission_id, (task.request.delivery_info or {}).get("routing_key") or "cpu")
            return "deferred"
        return status

    signals.worker_ready.connect(lambda **_: log.info("worker %s consuming %s", runtime.name, ",".join(queues)),
                                 weak=False)
    runtime.start_heartbeat()
    try:
        runtime.celery.worker_main([
            "worker", "--pool=threads", f"--concurrency={concurrency}", f"--queues={','.join(queues)}",
            f"--hostname={runtime.name}", f"--loglevel={args.loglevel}",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ])
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
