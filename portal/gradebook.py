"""The gradebook of a cohort as CSV that opens cleanly in a spreadsheet.

One row per learner: each exercise's best score, first-pass time and minutes late (of
the first passing submission), then totals. UTF-8 with a byte-order mark (so Excel reads
accents), ISO times in UTC, and text cells that could start a formula are quoted with '.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from courseware.spec import ContentBank
from db.models import ExerciseProgress, Submission
from portal.auth import CurrentUser
from portal.dashboard import cohort_scope


def gradebook_rows(sessions: sessionmaker[Session], bank: ContentBank, viewer: CurrentUser,
                   cohort_id: int) -> list[list[object]]:
    """Header row then one row per learner; ``AccessDenied`` unless the viewer leads the cohort."""
    with sessions() as session:
        scope = cohort_scope(session, bank, viewer, cohort_id)
        exercise_ids, learners, members = scope.exercise_ids, scope.learners, scope.members
        progress = {(p.user_id, p.exercise_id): p for p in session.execute(
            select(ExerciseProgress.user_id, ExerciseProgress.exercise_id, ExerciseProgress.best_score,
                   ExerciseProgress.passed_at)
            .where(ExerciseProgress.user_id.in_(members), ExerciseProgress.exercise_id.in_(exercise_ids)))}
        # The first passing submission of each (learner, exercise): its lateness is what counts
        # (a verdict superseded by a regrade does not; a regrade carries its original's lateness).
        # Picking it in SQL reads only the submissions index, not every wide passed row.
        first_ids = (select(func.min(Submission.id))
                     .where(Submission.user_id.in_(members), Submission.status == "passed",
                            Submission.mode == "submit", Submission.exercise_id.in_(exercise_ids),
                            Submission.superseded_by.is_(None))
                     .group_by(Submission.user_id, Submission.exercise_id))
        first_pass = {(u, e): late for u, e, late in session.execute(
            select(Submission.user_id, Submission.exercise_id, Submission.late_minutes)
            .where(Submission.id.in_(first_ids)))}
    header: list[object] = ["username", "name"]
    for e in exercise_ids:
        header += [f"{e} best", f"{e} first pass (UTC)", f"{e} minutes late"]
    header += ["points", "points possible", "exercises passed", "total minutes late"]
    possible = sum(bank.exercises[e].points for e in exercise_ids)
    rows: list[list[object]] = [header]
    for learner in learners:
        row: list[object] = [learner.username, learner.name]
        points = passed = late_total = 0
        for e in exercise_ids:
            p = progress.get((learner.id, e))
            late = first_pass.get((learner.id, e))
            row += [round(p.best_score, 2) if p else "",
                    p.passed_at.strftime("%Y-%m-%d %H:%M") if p and p.passed_at else "",
                    late if late is not None else ""]
            points += p.best_score if p else 0
            passed += bool(p and p.passed_at)
            late_total += late or 0
        rows.append(row + [round(points, 2), possible, passed, late_total])
    return rows


def _safe(cell: object) -> object:
    # A cell starting with = + - @ is run as a formula by spreadsheets: keep it text.
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def to_csv(rows: list[list[object]]) -> bytes:
    """CSV bytes: UTF-8 with BOM, CRLF line ends, every text cell formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_safe(c) for c in row])
    return buffer.getvalue().encode("utf-8-sig")


def gradebook_csv(sessions: sessionmaker[Session], bank: ContentBank, viewer: CurrentUser, cohort_id: int) -> bytes:
    """The cohort's gradebook as CSV bytes."""
    return to_csv(gradebook_rows(sessions, bank, viewer, cohort_id))
