"""A cohort lead's dashboard data: best scores, completion against the schedule, the hardest
exercises (with the hidden tests that fail most and the error classes), and stuck learners.

    data = cohort_dashboard(ctx.sessions, ctx.bank, viewer, cohort_id, today=date.today())

One function gathers everything the page draws, in a handful of queries (see
``bench/dashboard.py`` for its cost on 600k submissions).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from courseware.spec import ContentBank
from db.models import Cohort, CohortMember, ExerciseProgress, LessonProgress, Submission, TestResult, User
from portal.access import require_cohort
from portal.auth import CurrentUser
from portal.pacing import opens_on
from portal.regrade import current_versions, is_stale


@dataclass(frozen=True)
class LearnerRow:
    """A learner of the cohort."""

    id: int
    username: str
    name: str


@dataclass(frozen=True)
class HardExercise:
    """An exercise learners struggle with, and how."""

    exercise_id: str
    title: str
    attempted: int
    passed: int
    failed_attempts: int
    failing_hidden_tests: list[tuple[str, int]] = field(default_factory=list)
    error_classes: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class StuckLearner:
    """A learner who needs a nudge, and why."""

    user_id: int
    username: str
    reason: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the lead's page shows for one cohort."""

    cohort_id: int
    cohort_name: str
    track_id: str
    start_date: date
    learners: list[LearnerRow]
    exercises: list[tuple[str, str]]
    """(id, title) in track order."""
    best: dict[tuple[int, str], float]
    """(learner id, exercise id) → best score on Submit."""
    attempts: dict[tuple[int, str], int]
    completion: list[dict]
    """Rows for the completion chart: module, week, percent, series (actual | schedule)."""
    hardest: list[HardExercise]
    stuck: list[StuckLearner]
    stale: set[tuple[int, str]] = field(default_factory=set)
    """(learner id, exercise id) whose best score was graded against an older version of the tests."""
    not_open: frozenset[str] = frozenset()
    """Exercises whose module has not opened for the cohort yet (weekly pacing)."""


def _learners(session: Session, cohort_id: int) -> list[LearnerRow]:
    rows = session.execute(select(User.id, User.username, User.display_name).join(CohortMember)
                           .where(CohortMember.cohort_id == cohort_id, CohortMember.role == "learner")
                           .order_by(User.username))
    return [LearnerRow(*row) for row in rows]


@dataclass(frozen=True)
class CohortScope:
    """A cohort with what every lead view needs from it."""

    cohort: Cohort
    exercise_ids: list[str]
    """The track's written exercises, in order."""
    learners: list[LearnerRow]
    members: object
    """A scalar subquery of the cohort's learner ids, for ``IN (...)`` filters."""


def cohort_scope(session: Session, bank: ContentBank, viewer: CurrentUser, cohort_id: int) -> CohortScope:
    """Check the viewer may see the cohort, then load it; ``AccessDenied`` otherwise."""
    require_cohort(session, viewer, cohort_id)
    cohort = session.get(Cohort, cohort_id)
    track = bank.tracks.get(cohort.track_id)
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id,
                                                 CohortMember.role == "learner").scalar_subquery()
    return CohortScope(cohort, track.exercise_ids() if track else [], _learners(session, cohort_id), members)


def cohort_dashboard(sessions: sessionmaker[Session], bank: ContentBank, viewer: CurrentUser, cohort_id: int, *,
                     today: date, stuck_attempts: int = 3, idle_days: int = 7, hardest: int = 5) -> Dashboard:
    """The dashboard of one cohort; ``AccessDenied`` unless the viewer leads it (or is an admin)."""
    with sessions() as session:
        scope = cohort_scope(session, bank, viewer, cohort_id)
        cohort, exercise_ids, learners, members = scope.cohort, scope.exercise_ids, scope.learners, scope.members
        track = bank.tracks.get(cohort.track_id)
        progress = session.execute(
            select(ExerciseProgress.user_id, ExerciseProgress.exercise_id, ExerciseProgress.best_score,
                   ExerciseProgress.attempts, ExerciseProgress.passed_at, ExerciseProgress.last_submission_at,
                   ExerciseProgress.best_content_version)
            .where(ExerciseProgress.user_id.in_(members), ExerciseProgress.exercise_id.in_(exercise_ids))).all()
        last_lesson = dict(session.execute(select(LessonProgress.user_id, func.max(LessonProgress.completed_at))
                                           .where(LessonProgress.user_id.in_(members))
                                           .group_by(LessonProgress.user_id)).all())
        hard = _hardest(progress, bank, hardest)
        hard = [_explain(session, members, h) for h in hard]
    best = {(p.user_id, p.exercise_id): p.best_score for p in progress}
    attempts = {(p.user_id, p.exercise_id): p.attempts for p in progress}
    versions = current_versions(bank, exercise_ids)
    stale = {(p.user_id, p.exercise_id) for p in progress
             if is_stale(p.best_content_version, versions.get(p.exercise_id))}
    return Dashboard(
        cohort_id, cohort.name, cohort.track_id, cohort.start_date, learners,
        [(e, bank.exercises[e].title) for e in exercise_ids], best, attempts,
        _completion(cohort, track, learners, progress, today) if track else [], hard,
        _stuck(learners, progress, last_lesson, bank, today, stuck_attempts, idle_days, cohort.start_date),
        stale, _not_open(cohort, track, today) if track else frozenset(),
    )


def _not_open(cohort: Cohort, track, today: date) -> frozenset[str]:
    return frozenset(i.id for m in track.modules if opens_on(cohort, m) > today
                     for i in m.items if i.kind == "exercise")


SCORE_BANDS = ("not open", "not attempted", "0 %", "1–49 %", "50–99 %", "100 %")
"""What a heatmap cell shows, in legend order: the first two are not scores at all."""
BAND_COLOURS = ("#90a4ae", "#f3f4f6", "#e53935", "#ffca28", "#9ccc65", "#1b5e20")
"""One distinct colour per band: grey for not open, near-white for not attempted, red for 0 %."""


def score_band(*, is_open: bool, attempts: int, percent: float) -> str:
    """The heatmap band of one learner × exercise: "not open" (its module has not opened, nothing
    handed in), "not attempted" (open, no Submit yet), else the share of the points its best Submit got."""
    if attempts == 0:
        return "not attempted" if is_open else "not open"
    if percent <= 0:
        return "0 %"
    if percent >= 100:
        return "100 %"
    return "1–49 %" if percent < 50 else "50–99 %"


def heatmap_cells(data: Dashboard, points: dict[str, int]) -> list[dict]:
    """One row per learner × exercise for the heatmap: scores, attempts, band, stale mark."""
    titles = dict(data.exercises)
    cells = []
    for learner in data.learners:
        for exercise_id, _ in data.exercises:
            key = (learner.id, exercise_id)
            best, tries = data.best.get(key, 0), data.attempts.get(key, 0)
            percent = round(100 * best / points[exercise_id]) if points.get(exercise_id) else 0
            cells.append({"learner": learner.username, "exercise": titles[exercise_id], "exercise_id": exercise_id,
                          "best": best, "percent": percent, "attempts": tries,
                          "band": score_band(is_open=exercise_id not in data.not_open, attempts=tries, percent=percent),
                          "tests": "older version" if key in data.stale else "current"})
    return cells


def _hardest(progress, bank: ContentBank, limit: int) -> list[HardExercise]:
    attempted, passed, failed = Counter(), Counter(), Counter()
    for p in progress:
        if p.attempts:
            attempted[p.exercise_id] += 1
            passed[p.exercise_id] += p.passed_at is not None
            failed[p.exercise_id] += p.attempts - (1 if p.passed_at is not None else 0)
    ranked = sorted(attempted, key=lambda e: (passed[e] / attempted[e], -failed[e]))
    return [HardExercise(e, bank.exercises[e].title if e in bank.exercises else e, attempted[e], passed[e], failed[e])
            for e in ranked[:limit]]


def _explain(session: Session, members, h: HardExercise) -> HardExercise:
    """Add the hidden tests that fail most and the error classes of failed submits (verdicts a
    regrade superseded left out: the same code is counted once, by its standing verdict)."""
    tests = session.execute(
        select(TestResult.name, func.count()).join(Submission, Submission.id == TestResult.submission_id)
        .where(Submission.exercise_id == h.exercise_id, Submission.user_id.in_(members), Submission.mode == "submit",
               Submission.superseded_by.is_(None),
               TestResult.visibility == "hidden", TestResult.outcome != "passed")
        # Ties by name: PostgreSQL returns groups in no set order, SQLite happens to sort them.
        .group_by(TestResult.name).order_by(func.count().desc(), TestResult.name).limit(5)).all()
    classes = session.execute(
        select(Submission.error_class, func.count())
        .where(Submission.exercise_id == h.exercise_id, Submission.user_id.in_(members),
               Submission.mode == "submit", Submission.status != "passed", Submission.error_class.is_not(None),
               Submission.superseded_by.is_(None))
        .group_by(Submission.error_class).order_by(func.count().desc(), Submission.error_class)).all()
    return HardExercise(h.exercise_id, h.title, h.attempted, h.passed, h.failed_attempts,
                        [(n, c) for n, c in tests], [(k, c) for k, c in classes])


def _completion(cohort: Cohort, track, learners, progress, today: date) -> list[dict]:
    """Per module and week: % of learners who have passed all its exercises, and the schedule."""
    passed_at = {(p.user_id, p.exercise_id): p.passed_at for p in progress if p.passed_at is not None}
    last_week = max([m.week for m in track.modules] + [(today - cohort.start_date).days // 7 + 1, 1]) + 1
    rows = []
    for module in track.modules:
        ids = [i.id for i in module.items if i.kind == "exercise" and not i.coming]
        if not ids or not learners:
            continue
        done_on = []
        for learner in learners:
            dates = [passed_at.get((learner.id, e)) for e in ids]
            if all(dates):
                done_on.append(max(dates).date())
        label = module.title
        due_week = (opens_on(cohort, module) - cohort.start_date).days // 7 + 1
        for week in range(1, last_week + 1):
            week_end = cohort.start_date + timedelta(days=7 * week)
            if week_end - timedelta(days=7) <= today:
                share = sum(d < week_end for d in done_on) / len(learners)
                rows.append({"module": label, "week": week, "percent": round(100 * share, 1), "series": "actual"})
            rows.append({"module": label, "week": week, "percent": 100.0 if week >= due_week else 0.0,
                         "series": "schedule"})
    return rows


def _stuck(learners, progress, last_lesson, bank, today: date, attempts: int, idle_days: int,
           start: date) -> list[StuckLearner]:
    by_learner = defaultdict(list)
    for p in progress:
        by_learner[p.user_id].append(p)
    horizon = datetime.combine(today - timedelta(days=idle_days), datetime.min.time(), tzinfo=timezone.utc)
    stuck = []
    for learner in learners:
        rows = by_learner.get(learner.id, [])
        struggling = [p for p in rows if p.passed_at is None and p.attempts >= attempts]
        if struggling:
            worst = max(struggling, key=lambda p: p.attempts)
            title = bank.exercises[worst.exercise_id].title if worst.exercise_id in bank.exercises else worst.exercise_id
            stuck.append(StuckLearner(learner.id, learner.username,
                                      f"{worst.attempts} failed attempts at “{title}” without a pass"))
            continue
        times = [p.last_submission_at for p in rows if p.last_submission_at] + \
                ([last_lesson[learner.id]] if last_lesson.get(learner.id) else [])
        last = max(times) if times else None
        if (last is None and (today - start).days >= idle_days) or (last is not None and last < horizon):
            since = f"since {last:%d %b}" if last else "since the cohort started"
            stuck.append(StuckLearner(learner.id, learner.username, f"no activity for {idle_days}+ days ({since})"))
    return stuck
