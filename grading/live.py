"""Charts a running job keeps replacing (the loss so far), held until its verdict is stored.

The grading job publishes; the learner's page reads while it polls for the verdict. They are
display only, never part of the verdict, so they live outside the database: in the app's
memory for the local pool, in Redis (with an expiry) when Celery workers grade elsewhere.

    board.publish(submission_id, [artifact.as_row(), ...])
    board.read(submission_id)     # the latest rows, [] when none
    board.clear(submission_id)    # once the verdict is stored
"""
from __future__ import annotations

import json
import threading
from typing import Any, Protocol

LIVE_TTL_S = 900
"""How long Redis keeps a job's charts if its worker dies before clearing them."""


class LiveBoard(Protocol):
    """Where running jobs' live charts are kept."""

    def publish(self, submission_id: int, rows: list[dict[str, Any]]) -> None:
        """Replace the submission's live charts."""

    def read(self, submission_id: int) -> list[dict[str, Any]]:
        """The submission's live charts (``name``, ``kind``, ``payload`` rows)."""

    def clear(self, submission_id: int) -> None:
        """Forget the submission's live charts."""


class MemoryLiveBoard:
    """For the local pool: jobs and pages share the app process."""

    def __init__(self) -> None:
        self._rows: dict[int, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def publish(self, submission_id: int, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            self._rows[submission_id] = list(rows)

    def read(self, submission_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._rows.get(submission_id, ()))

    def clear(self, submission_id: int) -> None:
        with self._lock:
            self._rows.pop(submission_id, None)


class RedisLiveBoard:
    """For Celery: the worker writes, the web app reads, through the broker's Redis."""

    def __init__(self, redis_client: Any) -> None:
        self.redis = redis_client

    @staticmethod
    def _key(submission_id: int) -> str:
        return f"course-checker:live:{submission_id}"

    def publish(self, submission_id: int, rows: list[dict[str, Any]]) -> None:
        self.redis.set(self._key(submission_id), json.dumps(rows), ex=LIVE_TTL_S)

    def read(self, submission_id: int) -> list[dict[str, Any]]:
        raw = self.redis.get(self._key(submission_id))
        try:
            rows = json.loads(raw) if raw else []
        except ValueError:
            return []
        return rows if isinstance(rows, list) else []

    def clear(self, submission_id: int) -> None:
        self.redis.delete(self._key(submission_id))
