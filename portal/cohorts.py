"""What a lead changes for their cohort: due dates and one learner's extension."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Cohort, CohortMember, Deadline, Extension
from db.upsert import insert_for
from portal.access import AccessDenied, require_cohort, visible_cohort_ids
from portal.auth import CurrentUser
from portal.pacing import end_of_day


def cohort_choices(sessions: sessionmaker[Session], viewer: CurrentUser) -> dict[int, str]:
    """Cohort id → name, for the cohorts the viewer leads (all of them for an admin)."""
    with sessions() as session:
        ids = visible_cohort_ids(session, viewer)
        return {c.id: c.name for c in session.scalars(select(Cohort).where(Cohort.id.in_(ids)).order_by(Cohort.name))}


def set_deadline(sessions: sessionmaker[Session], viewer: CurrentUser, cohort_id: int, item_id: str,
                 due: date | None) -> None:
    """Set (or with ``None`` remove) the cohort's due date for a module or exercise, end of that day UTC."""
    with sessions() as session:
        require_cohort(session, viewer, cohort_id)
        existing = session.scalar(select(Deadline).where(Deadline.cohort_id == cohort_id, Deadline.item_id == item_id))
        if due is None:
            if existing is not None:
                session.delete(existing)
        else:
            stmt = insert_for(session, Deadline).values(cohort_id=cohort_id, item_id=item_id, due_at=end_of_day(due))
            session.execute(stmt.on_conflict_do_update(index_elements=["cohort_id", "item_id"],
                                                       set_={"due_at": stmt.excluded.due_at}))
        session.commit()


def grant_extension(sessions: sessionmaker[Session], viewer: CurrentUser, cohort_id: int, learner_id: int,
                    item_id: str, due: date) -> None:
    """Give one learner of the cohort a later due date for one module or exercise."""
    with sessions() as session:
        require_cohort(session, viewer, cohort_id)
        member = session.scalar(select(CohortMember).where(
            CohortMember.cohort_id == cohort_id, CohortMember.user_id == learner_id, CohortMember.role == "learner"))
        if member is None:
            raise AccessDenied("That learner is not in this cohort.")
        stmt = insert_for(session, Extension).values(cohort_id=cohort_id, user_id=learner_id, item_id=item_id,
                                                     due_at=end_of_day(due), granted_by=viewer.id or None)
        session.execute(stmt.on_conflict_do_update(index_elements=["cohort_id", "user_id", "item_id"],
                                                   set_={"due_at": stmt.excluded.due_at,
                                                         "granted_by": stmt.excluded.granted_by}))
        session.commit()


def deadlines(sessions: sessionmaker[Session], viewer: CurrentUser, cohort_id: int) -> dict[str, str]:
    """Item id → due date (ISO) set for the cohort."""
    with sessions() as session:
        require_cohort(session, viewer, cohort_id)
        return {d.item_id: d.due_at.strftime("%Y-%m-%d") for d in session.scalars(
            select(Deadline).where(Deadline.cohort_id == cohort_id))}
