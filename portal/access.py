"""Who may see what: enforced here, in the functions pages call, not by hiding widgets.

A learner sees only their own work; a lead sees the cohorts they lead and those cohorts'
learners; an admin sees everything. Every function raises ``AccessDenied`` otherwise.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cohort, CohortMember
from portal.auth import CurrentUser


class AccessDenied(PermissionError):
    """The viewer may not see or change this; the message says what they lack."""


def require_admin(viewer: CurrentUser) -> None:
    """Only admins pass."""
    if viewer.role != "admin":
        raise AccessDenied("Only an admin can do this.")


def visible_cohort_ids(session: Session, viewer: CurrentUser) -> list[int]:
    """Cohorts the viewer may see as a lead: all for admins, the ones they lead for leads."""
    if viewer.role == "admin":
        return list(session.scalars(select(Cohort.id).order_by(Cohort.name)))
    return list(session.scalars(
        select(CohortMember.cohort_id).join(Cohort)
        .where(CohortMember.user_id == viewer.id, CohortMember.role == "lead").order_by(Cohort.name)))


def require_cohort(session: Session, viewer: CurrentUser, cohort_id: int) -> None:
    """Pass if the viewer may see this cohort's dashboard and gradebook."""
    if cohort_id not in visible_cohort_ids(session, viewer):
        raise AccessDenied("You can only see the cohorts you lead.")


def require_learner(session: Session, viewer: CurrentUser, learner_id: int) -> None:
    """Pass if the viewer may see this learner's work: themself, a lead of their cohort, an admin."""
    if viewer.id == learner_id or viewer.role == "admin":
        return
    led = visible_cohort_ids(session, viewer)
    shared = session.scalar(select(CohortMember.id).where(
        CohortMember.user_id == learner_id, CohortMember.cohort_id.in_(led)).limit(1)) if led else None
    if shared is None:
        raise AccessDenied("You can only see the work of learners in cohorts you lead.")
