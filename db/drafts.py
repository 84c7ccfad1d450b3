"""The editor's autosave: one draft per user and exercise.

    save_draft(session, user.id, "attention", code); session.commit()
    code = load_draft(session, user.id, "attention") or starter_code
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Draft, utcnow
from db.upsert import insert_for


def save_draft(session: Session, user_id: int, exercise_id: str, code: str) -> None:
    """Store ``code`` as the draft (flushes; the caller commits); unchanged code writes nothing."""
    stmt = insert_for(session, Draft).values(user_id=user_id, exercise_id=exercise_id, code=code,
                                             updated_at=utcnow())
    new = stmt.excluded
    # Streamlit reruns save on every keystroke pause; the WHERE skips the write (and
    # keeps updated_at meaningful) when nothing changed.
    session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "exercise_id"],
        set_={"code": new.code, "updated_at": new.updated_at},
        where=Draft.__table__.c.code != new.code,
    ))


def load_draft(session: Session, user_id: int, exercise_id: str) -> str | None:
    """The saved draft, or None when the user never edited this exercise."""
    return session.scalar(select(Draft.code).where(Draft.user_id == user_id,
                                                   Draft.exercise_id == exercise_id))
