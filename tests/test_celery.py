"""The Celery backend with real parts: a Redis server, worker processes, the sandbox, a database file.

The central test starts two workers, submits 50 jobs, kills one worker with SIGKILL while it
grades, and checks that every verdict is stored exactly once.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from grading import worker_registry
from grading.celery_queue import CeleryQueue, visibility_timeout_s
from grading.queue import WorkerStatus
from config import PROJECT_ROOT
from db import submissions, users
from db.models import ExerciseProgress, Submission, TestResult, utcnow
from portal.context import build_context

from conftest import make_settings, write_content, write_exercise
from ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.database]

SLOW_TEST = textwrap.dedent("""\
    import time
    import torch
    from course_harness import assert_tensor_close, get_function

    def test_doubles_slowly():
        time.sleep(0.4)   # long enough that a worker is always busy when it is killed
        double = get_function("double", "double(x)")
        assert_tensor_close(double(torch.ones(3)), torch.full((3,), 2.0), name="double(x)")
    """)


@pytest.fixture
def broker(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield redis_url
    client.flushall()


@pytest.fixture
def celery_settings(tmp_path, broker):
    root = write_content(tmp_path / "content")
    write_exercise(root, "slow-double")
    (root / "exercises" / "slow-double" / "tests" / "test_public.py").write_text(SLOW_TEST)
    write_exercise(root, "gpu-double", yaml_extra="device: gpu-preferred\n")
    write_exercise(root, "sleepy-double")
    (root / "exercises" / "sleepy-double" / "tests" / "test_public.py").write_text(
        SLOW_TEST.replace("time.sleep(0.4)", "time.sleep(2.0)"))
    return make_settings(tmp_path / "data", root, CHECKER_BACKEND="celery", CELERY_BROKER_URL=broker,
                         CHECKER_GPU="no")


@pytest.fixture
def app(celery_settings):
    context = build_context(celery_settings)
    yield context
    context.close()


class Workers:
    """Worker processes started with the README's command, each in its own process group."""

    def __init__(self, settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        env = os.environ | {"COURSE_DATA_DIR": str(self.settings.data_dir),
                            "COURSE_CONTENT_DIR": str(self.settings.content_dir),
                            "DATABASE_URL": self.settings.sqlalchemy_url,
                            "CELERY_BROKER_URL": self.settings.broker_url, "CHECKER_GPU": "no"}
        log = open(self.log_dir / f"worker-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "grading.worker", "--concurrency", "2", "--loglevel",
                                 "WARNING", *args], cwd=PROJECT_ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture
def workers(celery_settings, tmp_path):
    started = Workers(celery_settings, tmp_path)
    yield started
    started.stop()


def wait_for(condition, timeout_s: float, what: str, logs=lambda: ""):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}\n{logs()}")


def make_learners(app, n: int) -> list[int]:
    with app.sessions() as session:
        ids = [users.create_user(session, f"learner{i}", "password-123").id for i in range(n)]
        session.commit()
    return ids


def test_fifty_jobs_are_stored_exactly_once_when_a_worker_is_killed_mid_run(app, workers):
    first, second = workers.start(), workers.start()
    wait_for(lambda: len(app.backend.workers()) == 2, 120, "two workers to announce themselves", workers.logs)
    learners = make_learners(app, 5)
    ids = [app.grading.submit(user_id=learners[i % 5], exercise_id="slow-double", mode="submit",
                              code="def double(x):\n    return x * 2\n").submission_id for i in range(50)]

    def victim_is_grading():
        with app.sessions() as session:
            return session.scalar(select(func.count()).where(
                Submission.status == "running", Submission.worker.like(f"%:{first.pid}")))
    wait_for(victim_is_grading, 60, "the first worker to be grading", workers.logs)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()

    def all_final():
        with app.sessions() as session:
            return session.scalar(select(func.count()).where(
                Submission.id.in_(ids), Submission.status.in_(("passed", "failed", "error")))) == 50
    wait_for(all_final, 120, "all 50 verdicts", workers.logs)

    with app.sessions() as session:
        rows = session.execute(select(Submission.id, Submission.status, Submission.worker)
                               .where(Submission.id.in_(ids))).all()
        tests_per_submission = Counter(session.scalars(
            select(TestResult.submission_id).where(TestResult.submission_id.in_(ids))))
        attempts = dict(session.execute(select(ExerciseProgress.user_id, ExerciseProgress.attempts)).all())
    assert Counter(status for _, status, _ in rows) == {"passed": 50}, workers.logs()
    # Each submission has exactly its 3 test rows (1 public + 2 hidden): no result written twice.
    assert all(tests_per_submission[i] == 3 for i in ids), tests_per_submission
    assert attempts == {uid: 10 for uid in learners}
    by_worker = Counter(worker.rsplit(":", 1)[1] for _, _, worker in rows)
    assert str(second.pid) in by_worker  # the survivor finished the victim's work
    # The victim's unfinished work came back through the survivor's sweep, not the broker's timeout.
    assert "re-sent" in workers.logs()
    # The victim is gone from the list once its heartbeat went stale.
    assert [w.name.rsplit(":", 1)[1] for w in app.backend.workers()] == [str(second.pid)]


def test_a_learner_has_one_job_running_per_queue_and_others_go_first(app, workers):
    workers.start("--queues", "cpu")  # two slots
    wait_for(lambda: app.backend.workers(), 120, "a worker", workers.logs)
    ada, bob = make_learners(app, 2)
    submit = lambda user: app.grading.submit(  # noqa: E731
        user_id=user, exercise_id="sleepy-double", mode="submit", code="def double(x):\n    return x * 2\n").submission_id
    ada_first, ada_second = submit(ada), submit(ada)
    bobs = submit(bob)

    def final():
        with app.sessions() as session:
            return session.scalar(select(func.count()).where(
                Submission.id.in_([ada_first, ada_second, bobs]), Submission.status == "passed")) == 3
    wait_for(final, 120, "three verdicts", workers.logs)
    with app.sessions() as session:
        times = {i: session.execute(select(Submission.started_at, Submission.finished_at)
                                    .where(Submission.id == i)).one() for i in (ada_first, ada_second, bobs)}
    # Ada's second job waited for her first although a slot was free; Bob's took that slot meanwhile.
    assert times[ada_second].started_at >= times[ada_first].finished_at, times
    assert times[bobs].started_at < times[ada_first].finished_at, times


def test_a_gpu_preferred_exercise_runs_on_cpu_when_no_gpu_worker_is_alive(app, workers):
    workers.start("--queues", "cpu")
    wait_for(lambda: app.backend.workers(), 120, "a worker", workers.logs)
    assert app.backend.gpu_available() is False
    [learner] = make_learners(app, 1)
    receipt = app.grading.submit(user_id=learner, exercise_id="gpu-double", mode="run",
                                 code="def double(x):\n    return x * 2\n")
    wait_for(lambda: app.grading.verdict(user_id=learner, submission_id=receipt.submission_id).final, 60,
             "the verdict", workers.logs)
    with app.sessions() as session:
        sub = submissions.get_submission(session, receipt.submission_id)
        assert (sub.status, sub.queue) == ("passed", "cpu")
        assert sub.worker.endswith(f":{workers.procs[0].pid}")


def test_a_worker_refuses_the_gpu_queue_without_a_gpu(celery_settings, workers):
    proc = workers.start("--queues", "gpu")
    assert proc.wait(timeout=120) == 2
    assert "no usable GPU" in workers.logs()


def test_the_sweep_resends_work_of_dead_workers_and_moves_gpu_work_to_cpu(app, broker):
    client = redis.Redis.from_url(broker)
    now = time.time()
    worker_registry.beat(client, WorkerStatus("alive:1", ("cpu",), 2, False), now=now)
    worker_registry.beat(client, WorkerStatus("dead:2", ("gpu", "cpu"), 2, True), now=now - 60)
    [learner] = make_learners(app, 1)
    with app.sessions() as session:
        make = lambda queue: submissions.create_submission(  # noqa: E731
            session, user_id=learner, exercise_id="double", mode="run", code="x = 1\n", queue=queue).id
        orphan, busy, waiting_gpu = make("cpu"), make("cpu"), make("gpu")
        session.commit()
    with app.sessions() as session:
        submissions.claim_submission(session, orphan, worker="dead:2")
        submissions.claim_submission(session, busy, worker="alive:1")
        session.execute(Submission.__table__.update().where(Submission.id.in_([orphan, busy]))
                        .values(started_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    sent: list[tuple[int, str]] = []
    worker_registry.sweep(client, app.sessions, lambda i, q: sent.append((i, q)), now=now)
    assert sorted(sent) == sorted([(orphan, "cpu"), (waiting_gpu, "cpu")])
    with app.sessions() as session:
        assert submissions.get_submission(session, orphan).status == "queued"
        assert submissions.get_submission(session, busy).status == "running"
        assert submissions.get_submission(session, waiting_gpu).queue == "cpu"
    assert [w.name for w in worker_registry.alive_workers(client, now=now)] == ["alive:1"]
    # A second sweep finds nothing more to do: the dead worker was buried once.
    sent.clear()
    worker_registry.sweep(client, app.sessions, lambda i, q: sent.append((i, q)), now=now)
    assert sent == []


def test_visibility_timeout_outlasts_the_longest_exercise(app):
    longest = max(spec.limits.time_s for spec in app.bank.exercises.values())
    assert visibility_timeout_s(app.bank) > longest * 2
    assert isinstance(app.backend, CeleryQueue)
    assert "Celery workers" in app.grading_engine.describe()


def test_a_submission_made_while_the_broker_is_down_is_an_error_the_learner_can_act_on(tmp_path, content_tree):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # a port nobody listens on
    context = build_context(make_settings(tmp_path / "data", content_tree, CHECKER_BACKEND="celery",
                                          CELERY_BROKER_URL=dead, CHECKER_GPU="no"))
    try:
        [learner] = make_learners(context, 1)
        start = time.monotonic()
        receipt = context.grading.submit(user_id=learner, exercise_id="double", mode="run",
                                         code="def double(x):\n    return x * 2\n")
        assert time.monotonic() - start < 15
        assert receipt.status == "error" and "submit again in a minute" in receipt.message
        view = context.grading.verdict(user_id=learner, submission_id=receipt.submission_id)
        assert view.status == "error" and view.error_reason == receipt.message
        assert context.backend.workers() == []
    finally:
        context.close()
