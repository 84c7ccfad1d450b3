"""A seeded cohort world for the lead/learner tests: two cohorts, two leads, four learners."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from db import submissions, users
from db.models import Cohort, CohortMember
from portal.auth import CurrentUser


@dataclass
class World:
    admin: CurrentUser
    lena: CurrentUser  # leads Alpha
    otto: CurrentUser  # leads Beta
    ada: CurrentUser   # learner in Alpha
    bob: CurrentUser   # learner in Alpha
    cyd: CurrentUser   # learner in Alpha, never active
    dee: CurrentUser   # learner in Beta
    alpha: int
    beta: int


def viewer(user) -> CurrentUser:
    return CurrentUser(user.id, user.username, user.display_name, user.role)


def seed(sessions, *, track_id: str = "tiny", started_days_ago: int = 14, pacing: str = "weekly") -> World:
    """Create the accounts and cohorts (passwords: 'password-123')."""
    with sessions() as session:
        made = {name: users.create_user(session, name, "password-123", role=role) for name, role in
                (("root", "admin"), ("lena", "lead"), ("otto", "lead"), ("ada", "learner"), ("bob", "learner"),
                 ("cyd", "learner"), ("dee", "learner"))}
        start = date.today() - timedelta(days=started_days_ago)
        alpha = Cohort(name="Alpha", track_id=track_id, start_date=start, pacing=pacing)
        beta = Cohort(name="Beta", track_id=track_id, start_date=start, pacing=pacing)
        session.add_all([alpha, beta])
        session.flush()
        for cohort, name, role in ((alpha, "lena", "lead"), (alpha, "ada", "learner"), (alpha, "bob", "learner"),
                                   (alpha, "cyd", "learner"), (beta, "otto", "lead"), (beta, "dee", "learner")):
            session.add(CohortMember(cohort_id=cohort.id, user_id=made[name].id, role=role))
        session.commit()
        return World(*(viewer(made[n]) for n in ("root", "lena", "otto", "ada", "bob", "cyd", "dee")),
                     alpha=alpha.id, beta=beta.id)


def graded(sessions, user_id: int, exercise_id: str, status: str, *, score: float, points: float = 10,
           hidden_failures: tuple[str, ...] = (), error_class: str | None = None, late: int | None = None) -> int:
    """Store one graded Submit the way a worker would."""
    with sessions() as session:
        sub = submissions.create_submission(session, user_id=user_id, exercise_id=exercise_id, mode="submit",
                                            code=f"# {status}\n", late_minutes=late)
        session.commit()
        submissions.claim_submission(session, sub.id)
        tests = [{"name": "test_public_one", "visibility": "public", "outcome": "passed", "message": "",
                  "duration_s": 0.01}]
        tests += [{"name": n, "visibility": "hidden", "outcome": "failed", "message": "has shape (2,), expected (3,).",
                   "duration_s": 0.01, "error_class": "shape"} for n in hidden_failures]
        submissions.store_result(session, sub.id, status=status, score=score, tests=tests, artifacts=[],
                                 points_possible=points, error_class=error_class)
        return sub.id
