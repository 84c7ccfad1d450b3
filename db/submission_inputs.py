"""Files a learner handed in beside the code (their own text for a playground run).

They live in the database, not on the app's disk, so a worker on another machine reads
them the same way it reads the code::

    add_inputs(session, sub.id, {"own_text.txt": text})   # same transaction as the submission
    inputs = load_inputs(session, sub.id)                  # in the worker; {} for an ordinary run
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import SubmissionInput


def add_inputs(session: Session, submission_id: int, inputs: Mapping[str, str]) -> None:
    """Add one row per file to the session (the caller commits with the submission)."""
    session.add_all(SubmissionInput(submission_id=submission_id, name=name, content=content)
                    for name, content in inputs.items())
    session.flush()


def load_inputs(session: Session, submission_id: int) -> dict[str, str]:
    """The submission's files, name → content; empty when it has none."""
    rows = session.execute(select(SubmissionInput.name, SubmissionInput.content)
                           .where(SubmissionInput.submission_id == submission_id)
                           .order_by(SubmissionInput.name))
    return {name: content for name, content in rows}


def input_names(session: Session, submission_id: int) -> list[str]:
    """Names of the submission's files, without reading their content."""
    return list(session.scalars(select(SubmissionInput.name)
                                .where(SubmissionInput.submission_id == submission_id)
                                .order_by(SubmissionInput.name)))


def with_inputs(session: Session, submission_ids: Iterable[int]) -> set[int]:
    """Which of these submissions had files handed in beside the code (playground runs on the learner's own text)."""
    ids = list(submission_ids)
    if not ids:
        return set()
    return set(session.scalars(select(SubmissionInput.submission_id).where(SubmissionInput.submission_id.in_(ids))))
