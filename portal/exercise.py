"""What the exercise page needs besides grading: drafts, hints, the earned solution, history."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from grading.service import SubmitError  # noqa: F401  (re-exported: a refused Run or Submit, its message for the page)
from courseware.spec import ExerciseSpec
from sqlalchemy import func, select

from db import drafts, progress, submissions
from db.models import HintUse, Submission, utcnow
from db.submission_inputs import with_inputs
from db.upsert import insert_for
from portal.regrade import attempt_note


def prompt_body(spec: ExerciseSpec) -> str:
    """The prompt without a leading ``# Title`` line (the page already shows the title)."""
    first, _, rest = spec.prompt.lstrip().partition("\n")
    return rest.lstrip() if first.startswith("# ") else spec.prompt


def load_code(sessions: sessionmaker[Session], user_id: int, spec: ExerciseSpec) -> str:
    """The editor's opening text: the learner's draft, else the starter."""
    with sessions() as session:
        draft = drafts.load_draft(session, user_id, spec.id)
    return draft if draft is not None else spec.starter


def save_code(sessions: sessionmaker[Session], user_id: int, exercise_id: str, code: str,
              max_bytes: int = 64 * 1024) -> bool:
    """Autosave the editor text; oversize drafts are not saved (the submit path explains why)."""
    if len(code.encode("utf-8", errors="replace")) > max_bytes:
        return False
    with sessions() as session:
        drafts.save_draft(session, user_id, exercise_id, code)
        session.commit()
    return True


def hints_revealed(sessions: sessionmaker[Session], user_id: int, exercise_id: str) -> int:
    """How many of the exercise's tiered hints the learner has revealed."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(HintUse).where(
            HintUse.user_id == user_id, HintUse.exercise_id == exercise_id)) or 0


def reveal_hint(sessions: sessionmaker[Session], user_id: int, spec: ExerciseSpec) -> int:
    """Reveal the next hint (logged for the lead); returns how many are now revealed."""
    shown = hints_revealed(sessions, user_id, spec.id)
    if shown < len(spec.hints):
        with sessions() as session:
            # An upsert (write first, no read in the transaction): a double click records one use.
            stmt = insert_for(session, HintUse).values(user_id=user_id, exercise_id=spec.id, hint_index=shown,
                                                       shown_at=utcnow())
            session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "exercise_id", "hint_index"]))
            session.commit()
        shown += 1
    return shown


def latest_submission(sessions: sessionmaker[Session], user_id: int, exercise_id: str) -> int | None:
    """The id of the learner's latest Run or Submit of this exercise (not a run on their own text), or None:
    what the page shows again after a reload."""
    with sessions() as session:
        ids = list(session.scalars(select(Submission.id).where(
            Submission.user_id == user_id, Submission.exercise_id == exercise_id)
            .order_by(Submission.id.desc()).limit(20)))
        own = with_inputs(session, ids)
    return next((i for i in ids if i not in own), None)


def has_passed(sessions: sessionmaker[Session], user_id: int, exercise_id: str) -> bool:
    """Whether the learner has passed every test of the exercise on *Submit*."""
    with sessions() as session:
        ep = progress.exercise_progress(session, user_id).get(exercise_id)
    return bool(ep and ep.passed_at)


def earned_solution(sessions: sessionmaker[Session], user_id: int, spec: ExerciseSpec) -> str | None:
    """The reference solution, only once earned (passed) and only where the exercise allows it."""
    if not spec.reveal_solution or not has_passed(sessions, user_id, spec.id):
        return None
    return spec.solution_path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class AttemptRow:
    """One past attempt in the learner's history table."""

    submission_id: int
    mode: str
    status: str
    score: float | None
    created_at: str
    note: str = ""
    """Regrade links, and "graded against an older version of the tests" (``portal.regrade``)."""


OWN_TEXT_MODE = "own text (not graded)"
VERDICT_WAIT_AFTER_CLICK_S = 0.6
"""After a Run or Submit click the page waits this long for the verdict before it shows "Queued…"
and polls: a warm verdict (about 0.1 s) is then drawn by the click's own rerun, not a poll later."""
"""How attempt lists name a playground run on the learner's own text; it has no score."""


def attempt_mode(mode: str, own_text: bool) -> str:
    """The mode an attempt list shows: ``run``, ``submit``, or ``own text (not graded)``."""
    return OWN_TEXT_MODE if own_text else mode


def attempts(sessions: sessionmaker[Session], user_id: int, exercise_id: str, limit: int = 20,
             current_version: str | None = None) -> list[AttemptRow]:
    """The learner's recent attempts at one exercise, newest first (notes compare with ``current_version``).

    Runs on the learner's own text are named as such and carry no score: they are never graded.
    """
    with sessions() as session:
        rows = submissions.list_submissions(session, user_id, exercise_id, limit=limit)
        own = with_inputs(session, [s.id for s in rows])
        return [AttemptRow(s.id, attempt_mode(s.mode, s.id in own), s.status, None if s.id in own else s.score,
                           s.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                           attempt_note(regrade_of=s.regrade_of, superseded_by=s.superseded_by,
                                        content_version=s.content_version, current=current_version))
                for s in rows]
