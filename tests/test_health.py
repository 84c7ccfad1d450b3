"""The admins' health figures on real rows in a real database, and the page through AppTest."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from streamlit.testing.v1 import AppTest

from grading.jobs import JobContext
from grading.queue import LocalPool
from sandbox.cold import Checker
from config import PROJECT_ROOT
from courseware.spec import ContentBank
from db.models import Submission
from portal.access import AccessDenied
from portal.auth import CurrentUser
from portal.health import admin_health, health_snapshot, percentile

from conftest import make_settings
from admin_page_fixtures import add_account, tiny_app_env  # noqa: F401  (tiny_app_env: the fixture)

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=timezone.utc)
PAGE = str(PROJECT_ROOT / "app_pages" / "health.py")


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def add(session, user_id, *, queue, status, created, finished=None, error_class=None) -> None:
    """One submission row with the given life times (started when finished, for final ones)."""
    session.add(Submission(user_id=user_id, exercise_id="double", mode="submit", code="x", status=status,
                           queue=queue, created_at=created, error_class=error_class,
                           started_at=finished or (created if status == "running" else None), finished_at=finished))
    session.commit()


@pytest.fixture
def pool(tmp_path, db_sessions):
    """A real local pool (it grades nothing here): one worker with three slots and a GPU."""
    checker = Checker.from_settings(make_settings(tmp_path / "data"))
    backend = LocalPool(JobContext(ContentBank(), checker, db_sessions), workers=3, has_gpu=True)
    yield backend
    backend.shutdown()


def test_queue_depth_counts_waiting_and_running_work_per_queue(db_session, learner_id, pool):
    for seconds in (300, 120, 10):
        add(db_session, learner_id, queue="cpu", status="queued", created=ago(seconds))
    add(db_session, learner_id, queue="cpu", status="running", created=ago(600))
    add(db_session, learner_id, queue="gpu", status="queued", created=ago(20))
    add(db_session, learner_id, queue="cpu", status="passed", created=ago(900), finished=ago(800))
    snap = health_snapshot(db_session, pool, NOW)
    cpu, gpu = snap.queues["cpu"], snap.queues["gpu"]
    assert (cpu.queued, cpu.running, cpu.oldest_queued_s) == (3, 1, 300.0)
    assert (gpu.queued, gpu.running, gpu.oldest_queued_s) == (1, 0, 20.0)
    assert snap.oldest_queued_s == 300.0
    assert set(snap.queues) == {"cpu", "long", "gpu"}


def test_an_empty_queue_is_shown_as_empty_and_unrouted_work_gets_its_own_line(db_session, learner_id, pool):
    snap = health_snapshot(db_session, pool, NOW)
    assert {q: (d.queued, d.running, d.oldest_queued_s) for q, d in snap.queues.items()} == \
        {"cpu": (0, 0, None), "long": (0, 0, None), "gpu": (0, 0, None)}
    assert snap.oldest_queued_s is None
    add(db_session, learner_id, queue=None, status="queued", created=ago(45))  # queued before queues existed
    snap = health_snapshot(db_session, pool, NOW)
    assert snap.queues["none"].queued == 1 and snap.oldest_queued_s == 45.0


def test_workers_alive_come_from_the_backend(db_session, pool):
    snap = health_snapshot(db_session, pool, NOW)
    [worker] = snap.workers
    assert worker.name.endswith("/local-pool") and worker.slots == 3 and worker.has_gpu
    assert snap.workers_for("cpu") == (1, 3) and snap.workers_for("gpu") == (1, 3)
    pool.shutdown()
    snap = health_snapshot(db_session, pool, NOW)
    assert snap.workers == () and snap.workers_for("cpu") == (0, 0)


def test_latency_percentiles_cover_graded_work_finished_in_the_last_hour(db_session, learner_id, pool):
    for i, seconds in enumerate(range(1, 21)):  # cpu: waits of 1..20 s, finished over the hour
        add(db_session, learner_id, queue="cpu", status="passed" if i % 2 else "failed",
            created=ago(60 * i + seconds), finished=ago(60 * i))
    add(db_session, learner_id, queue="gpu", status="error", created=ago(100), finished=ago(95))
    # Not counted: finished over an hour ago, refused before queueing, finished after `now`, unfinished.
    add(db_session, learner_id, queue="cpu", status="passed", created=ago(3700), finished=ago(3650))
    add(db_session, learner_id, queue=None, status="error", created=ago(10), finished=ago(10))
    add(db_session, learner_id, queue="cpu", status="passed", created=ago(5), finished=NOW + timedelta(seconds=5))
    add(db_session, learner_id, queue="cpu", status="running", created=ago(1000))
    snap = health_snapshot(db_session, pool, NOW)
    assert set(snap.latency) == {"cpu", "gpu"}
    cpu, gpu = snap.latency["cpu"], snap.latency["gpu"]
    assert (cpu.count, cpu.p50_s, cpu.p95_s) == (20, 10.0, 19.0)
    assert (gpu.count, gpu.p50_s, gpu.p95_s) == (1, 5.0, 5.0)


def test_nearest_rank_percentiles():
    assert percentile([4.0], 50) == percentile([4.0], 95) == 4.0
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (50.0, 95.0, 100.0)
    assert percentile([1.0, 2.0], 50) == 1.0 and percentile([1.0, 2.0], 95) == 2.0


def test_failures_are_counted_by_reason_over_the_last_hour(db_session, learner_id, pool):
    for _ in range(2):
        add(db_session, learner_id, queue="cpu", status="failed", created=ago(200), finished=ago(190),
            error_class="shape")
    add(db_session, learner_id, queue="gpu", status="error", created=ago(400), finished=ago(100),
        error_class="timeout")
    add(db_session, learner_id, queue=None, status="error", created=ago(30), finished=ago(30))  # refused input
    add(db_session, learner_id, queue="cpu", status="error", created=ago(30), finished=ago(20))  # no class stored
    add(db_session, learner_id, queue="cpu", status="failed", created=ago(7300), finished=ago(7200),
        error_class="nan")  # too old
    add(db_session, learner_id, queue="cpu", status="passed", created=ago(30), finished=ago(20))
    snap = health_snapshot(db_session, pool, NOW)
    assert snap.failures == {"shape": 2, "refused": 1, "timeout": 1, "unclassified": 1}
    assert list(snap.failures)[0] == "shape"  # most common first
    assert snap.errors == 3


def test_only_admins_get_the_snapshot(db_sessions, pool):
    with pytest.raises(AccessDenied):
        admin_health(db_sessions, CurrentUser(2, "lena", "Lena", "lead"), pool, NOW)
    assert admin_health(db_sessions, CurrentUser(1, "root", "Root", "admin"), pool, NOW).taken_at == NOW


def open_page(viewer: CurrentUser) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user"] = viewer
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_admin_sees_the_health_page(tiny_app_env):
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
    assert [t.value for t in at.title] == ["Grading health"]
    labels = [m.label for m in at.metric]
    assert "cpu queue" in labels and "long queue" in labels and "gpu queue" in labels and "Longest wait" in labels
    workers = at.dataframe[0].value
    assert list(workers["slots"]) == [1] and list(workers["queues"]) == ["cpu, long"]  # CHECKER_WORKERS=1, no GPU
    assert any("Nothing was graded in the last hour" in c.value for c in at.caption)


@pytest.mark.parametrize("role", ["learner", "lead"])
def test_others_are_refused_the_health_page(tiny_app_env, role):
    at = open_page(add_account(tiny_app_env, "someone", role))
    assert any("Only an admin" in e.value for e in at.error)
    assert not at.metric and not at.dataframe and not at.title


def test_the_health_page_is_in_the_admins_navigation_only(tiny_app_env):
    from app_fixtures import log_in
    from cohort_fixtures import seed
    from db.engine import make_engine, session_factory
    from db.migrate import upgrade

    engine = make_engine(tiny_app_env.sqlalchemy_url)
    upgrade(engine)
    seed(session_factory(engine))
    engine.dispose()
    admin = log_in("root")
    admin.switch_page("app_pages/health.py").run()
    assert not admin.exception, admin.exception
    assert [t.value for t in admin.title] == ["Grading health"]
    learner = log_in("ada")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        learner.switch_page("app_pages/health.py")
