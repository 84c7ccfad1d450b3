"""Cohort leaderboards for exercises whose tests publish a metric (``leaderboard:`` in exercise.yaml).

    board = cohort_leaderboard(ctx.sessions, ctx.bank, viewer, cohort_id, "gpt-tiny-shakespeare")
    for b in board.boards:            # one per profile (e.g. CPU, GPU): never ranked together
        b.rows[0].best, b.rows[0].time_to_target_s

Only *Submit* runs that were judged (passed or failed) and not superseded by a regrade
count: each learner's best measured value over them, and as time to target the time metric
of their fastest run that passed.
A lead sees the boards of the cohorts they lead, an admin every board, a learner the boards
of the cohorts they are in.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from courseware.spec import ContentBank, LeaderboardSpec
from db.models import Cohort, CohortMember, Submission, SubmissionMetric, User
from portal.access import AccessDenied, visible_cohort_ids
from portal.auth import CurrentUser

JUDGED = ("passed", "failed")
"""A run that ended in ``error`` was not trusted (time limit, tampering), so its numbers are not either."""


class NoLeaderboard(LookupError):
    """The exercise does not exist or declares no leaderboard."""


@dataclass(frozen=True)
class Run:
    """One judged *Submit* of one learner, with the metrics its tests published."""

    submission_id: int
    user_id: int
    passed: bool
    metrics: dict[str, float]


@dataclass(frozen=True)
class BoardRow:
    """One learner's standing on one board."""

    rank: int
    """1 for the best; learners with the same best value share a rank (1, 1, 3)."""
    user_id: int
    username: str
    name: str
    best: float
    """Their best measured value of the ranked metric."""
    time_to_target_s: float | None
    """The time metric of their fastest run that passed; None if none passed (or no time metric)."""
    runs: int
    """How many of their judged runs are on this board."""


@dataclass(frozen=True)
class Board:
    """The ranking of one profile (e.g. runs graded on a GPU), or of all runs without profiles."""

    profile: str
    """The board's title ("" when the exercise does not split by profile)."""
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True)
class CohortLeaderboard:
    """Every board of one exercise for one cohort."""

    cohort_id: int
    cohort_name: str
    exercise_id: str
    exercise_title: str
    spec: LeaderboardSpec
    boards: tuple[Board, ...]


def require_board(session: Session, viewer: CurrentUser, cohort_id: int) -> None:
    """Pass if the viewer may see the cohort's leaderboards: its leads, its learners, admins."""
    if cohort_id in visible_cohort_ids(session, viewer):
        return
    member = session.scalar(select(CohortMember.id).where(
        CohortMember.cohort_id == cohort_id, CohortMember.user_id == viewer.id).limit(1))
    if member is None:
        raise AccessDenied("You can only see the leaderboards of your own cohorts.")


def member_cohorts(sessions: sessionmaker[Session], viewer: CurrentUser) -> dict[int, str]:
    """Cohort id → name for the cohorts the viewer is in (as learner or lead), by name."""
    with sessions() as session:
        return {cohort_id: name for cohort_id, name in session.execute(
            select(Cohort.id, Cohort.name).join(CohortMember)
            .where(CohortMember.user_id == viewer.id).order_by(Cohort.name))}


def leaderboard_exercises(bank: ContentBank, exercise_ids: list[str]) -> list[str]:
    """Those of ``exercise_ids`` that declare a leaderboard, in the given order."""
    return [e for e in exercise_ids if e in bank.exercises and bank.exercises[e].leaderboard is not None]


def cohort_leaderboard(sessions: sessionmaker[Session], bank: ContentBank, viewer: CurrentUser, cohort_id: int,
                       exercise_id: str) -> CohortLeaderboard:
    """The exercise's boards for the cohort; ``AccessDenied`` or ``NoLeaderboard`` otherwise."""
    spec = bank.exercises.get(exercise_id)
    if spec is None or spec.leaderboard is None:
        raise NoLeaderboard(f"Exercise {exercise_id!r} has no leaderboard.")
    board_spec = spec.leaderboard
    with sessions() as session:
        require_board(session, viewer, cohort_id)
        cohort_name = session.scalar(select(Cohort.name).where(Cohort.id == cohort_id))
        learners = {uid: (username, name) for uid, username, name in session.execute(
            select(User.id, User.username, User.display_name).join(CohortMember)
            .where(CohortMember.cohort_id == cohort_id, CohortMember.role == "learner"))}
        runs = _judged_runs(session, exercise_id, list(learners), _metric_names(board_spec))
    return CohortLeaderboard(cohort_id, cohort_name or "", exercise_id, spec.title, board_spec,
                             rank_runs(runs, board_spec, learners))


def _metric_names(spec: LeaderboardSpec) -> list[str]:
    return [n for n in (spec.metric, spec.time_metric, spec.profile_metric) if n is not None]


def _judged_runs(session: Session, exercise_id: str, user_ids: list[int], names: list[str]) -> list[Run]:
    """The learners' judged *Submit* runs of the exercise that published any of ``names``."""
    if not user_ids:
        return []
    rows = session.execute(
        select(Submission.id, Submission.user_id, Submission.status, SubmissionMetric.name, SubmissionMetric.value)
        .join(SubmissionMetric, SubmissionMetric.submission_id == Submission.id)
        .where(Submission.exercise_id == exercise_id, Submission.mode == "submit",
               Submission.status.in_(JUDGED), Submission.superseded_by.is_(None),
               Submission.user_id.in_(user_ids), SubmissionMetric.name.in_(names)))
    found: dict[int, Run] = {}
    for submission_id, user_id, status, name, value in rows:
        run = found.setdefault(submission_id, Run(submission_id, user_id, status == "passed", {}))
        run.metrics[name] = value
    return sorted(found.values(), key=lambda r: r.submission_id)


def rank_runs(runs: list[Run], spec: LeaderboardSpec, learners: dict[int, tuple[str, str]]) -> tuple[Board, ...]:
    """Rank learners per profile by their best value; ties share a rank and are listed by time to target.

    Runs without the ranked metric, or (when the exercise splits by profile) without the
    profile metric, cannot be placed and are left out. ``learners`` maps id → (username, name).
    """
    by_profile: dict[float | None, dict[int, list[Run]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        if spec.metric not in run.metrics or run.user_id not in learners:
            continue
        profile = run.metrics.get(spec.profile_metric) if spec.profile_metric else None
        if spec.profile_metric and profile is None:
            continue
        by_profile[profile][run.user_id].append(run)
    boards = []
    for profile in sorted(by_profile, key=lambda p: (p is not None, p or 0.0)):
        boards.append(Board(spec.profile_label(profile), _rank(by_profile[profile], spec, learners)))
    return tuple(boards)


def _rank(runs_by_user: dict[int, list[Run]], spec: LeaderboardSpec,
          learners: dict[int, tuple[str, str]]) -> tuple[BoardRow, ...]:
    pick = min if spec.lower_is_better else max
    standings = []
    for user_id, runs in runs_by_user.items():
        best = pick(r.metrics[spec.metric] for r in runs)
        times = [r.metrics[spec.time_metric] for r in runs
                 if spec.time_metric and r.passed and spec.time_metric in r.metrics]
        standings.append((user_id, best, min(times) if times else None, len(runs)))
    sign = 1.0 if spec.lower_is_better else -1.0
    standings.sort(key=lambda s: (sign * s[1], s[2] is None, s[2] or 0.0, learners[s[0]][0]))
    rows = []
    for i, (user_id, best, time_s, count) in enumerate(standings):
        # Competition ranking: equal values share the rank of the first of them.
        rank = rows[-1].rank if rows and rows[-1].best == best else i + 1
        username, name = learners[user_id]
        rows.append(BoardRow(rank, user_id, username, name, best, time_s, count))
    return tuple(rows)


def board_table(board: Board, spec: LeaderboardSpec, viewer_id: int | None = None) -> list[dict[str, object]]:
    """The board as table rows for the page; the viewer's own row is marked."""
    rows = []
    for r in board.rows:
        row: dict[str, object] = {"rank": r.rank, "learner": r.username + (" (you)" if r.user_id == viewer_id else ""),
                                  f"best {spec.metric}": round(r.best, 4)}
        if spec.time_metric:
            row["time to target (s)"] = None if r.time_to_target_s is None else round(r.time_to_target_s, 1)
        row["runs"] = r.runs
        rows.append(row)
    return rows


def describe(spec: LeaderboardSpec) -> str:
    """One sentence saying how the board ranks, for a caption."""
    text = (f"Ranked by each learner's best {spec.metric} over their Submit runs "
            f"({'lower' if spec.lower_is_better else 'higher'} is better).")
    if spec.time_metric:
        text += f" Time to target: {spec.time_metric} of their fastest run that passed."
    if spec.profile_metric:
        text += " Runs on different hardware profiles are ranked on separate boards."
    return text
