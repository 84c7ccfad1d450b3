"""Everything the platform holds about one person: exported as a ZIP, or deleted for good.

    name, data = export_user(sessions, viewer, user_id)     # the learner themself, or an admin
    removed = delete_user(sessions, admin_viewer, "ada")     # {"submissions": 12, "test_results": 96, …}

The export walks every table that refers to the user (``user_id``) and the tables that hang off
their submissions (``submission_id``), so a table added later is exported without a change here.
Secrets stay out: the password hash and the tokens' hashes. Code comes twice: inside the JSON,
and as plain ``.py`` files a learner can open.
"""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Base, Submission, User
from portal.access import AccessDenied, require_admin
from portal.admin import AdminError, user_id
from portal.auth import CurrentUser

SECRET_COLUMNS = {("users", "password_hash"), ("api_tokens", "token_hash"), ("login_sessions", "token_hash"),
                  ("login_sessions", "ticket_hash"), ("login_sessions", "ticket_browser")}
"""Never exported: they would let whoever holds the file log in or call the API."""


def _owned_tables() -> tuple[list[Table], list[Table]]:
    """(tables with a ``user_id`` column, tables with a ``submission_id`` column), by name."""
    tables = sorted(Base.metadata.tables.values(), key=lambda t: t.name)
    by_user = [t for t in tables if "user_id" in t.c]
    by_submission = [t for t in tables if "submission_id" in t.c and "user_id" not in t.c]
    return by_user, by_submission


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(session: Session, table: Table, where: Any) -> list[dict[str, Any]]:
    columns = [c for c in table.c if (table.name, c.name) not in SECRET_COLUMNS]
    result = session.execute(select(*columns).where(where).order_by(*table.primary_key.columns))
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


def _may_export(viewer: CurrentUser, user_id: int) -> None:
    if viewer.id != user_id and viewer.role != "admin":
        raise AccessDenied("You can only download your own data.")


def collect_user_data(session: Session, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the user, table by table (secrets left out)."""
    by_user, by_submission = _owned_tables()
    data = {"users": _rows(session, User.__table__, User.id == user_id)}
    for table in by_user:
        data[table.name] = _rows(session, table, table.c.user_id == user_id)
    mine = select(Submission.id).where(Submission.user_id == user_id)
    for table in by_submission:
        data[table.name] = _rows(session, table, table.c.submission_id.in_(mine))
    return data


def export_user(sessions: sessionmaker[Session], viewer: CurrentUser, account_id: int) -> tuple[str, bytes]:
    """A ZIP (file name, bytes) of everything about the user: one JSON file per table, their
    submitted code and drafts as ``.py`` files, and a README saying what is where."""
    _may_export(viewer, account_id)
    with sessions() as session:
        user = session.get(User, account_id)
        if user is None:
            raise AdminError(f"there is no account with id {account_id}")
        data = collect_user_data(session, account_id)
    stamp = datetime.now(timezone.utc)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", (
            f"Everything the course platform holds about {user.username}, exported {stamp:%Y-%m-%d %H:%M} UTC.\n"
            "data/<table>.json: your rows of each table (submissions with their verdicts in test_results,\n"
            "artifacts and submission_metrics; drafts; hint_uses; lesson_progress; exercise_progress;\n"
            "cohort_members; api_tokens without their secret hashes; …).\n"
            "code/<exercise>/<submission id>-<mode>.py: the code of each Run and Submit.\n"
            "drafts/<exercise>.py: the editor's last saved draft.\n"))
        for table, rows in data.items():
            zf.writestr(f"data/{table}.json", json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        for sub in data.get("submissions", []):
            zf.writestr(f"code/{sub['exercise_id']}/{sub['id']:06d}-{sub['mode']}.py", sub["code"])
        for draft in data.get("drafts", []):
            zf.writestr(f"drafts/{draft['exercise_id']}.py", draft["code"])
    return f"course-data-{user.username}-{stamp:%Y%m%d}.zip", buffer.getvalue()


def export_account(sessions: sessionmaker[Session], viewer: CurrentUser, username: str) -> tuple[str, bytes]:
    """``export_user`` for the account named ``username`` (AdminError when there is none)."""
    with sessions() as session:
        account_id = user_id(session, username)
    return export_user(sessions, viewer, account_id)


def delete_user(sessions: sessionmaker[Session], viewer: CurrentUser, username: str) -> dict[str, int]:
    """Delete an account and everything that refers to it (admins only); returns the rows removed per
    table. Cohort figures, the gradebook and leaderboards are computed from these rows, so the person
    leaves them at once; extensions they granted as a lead stay, with no granter."""
    require_admin(viewer)
    with sessions() as session, session.begin():
        user = session.get(User, user_id(session, username))
        if user.id == viewer.id:
            raise AdminError("you cannot delete your own account; ask another admin")
        by_user, by_submission = _owned_tables()
        mine = select(Submission.id).where(Submission.user_id == user.id)
        removed = {t.name: session.scalar(select(func.count()).select_from(t).where(t.c.user_id == user.id))
                   for t in by_user}
        removed |= {t.name: session.scalar(select(func.count()).select_from(t).where(t.c.submission_id.in_(mine)))
                    for t in by_submission}
        # The foreign keys cascade (ON DELETE CASCADE), in SQLite and PostgreSQL alike.
        session.execute(delete(User).where(User.id == user.id))
    return {"users": 1} | {t: n for t, n in sorted(removed.items()) if n}
