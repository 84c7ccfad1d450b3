"""Stored verdicts graded against a given content version, for the regrade page and browser tests."""
from __future__ import annotations

from db import submissions

OLD_VERSION = "0ld0ld0ld0ld"

CODE = "def double(x):\n    return x * 2\n"


def graded(sessions, user_id: int, *, exercise_id="double", score: float, status: str, version: str | None,
           points: float = 10, regrade_of: int | None = None, tests=()) -> int:
    """A stored verdict, as a worker would have written it (against the tests of ``version``)."""
    with sessions() as session:
        sub = submissions.create_submission(session, user_id=user_id, exercise_id=exercise_id, mode="submit",
                                            code=CODE, queue="cpu", regrade_of=regrade_of)
        session.commit()
        submissions.store_result(session, sub.id, status=status, score=score, tests=list(tests), artifacts=[],
                                 points_possible=points, content_version=version)
        return sub.id
