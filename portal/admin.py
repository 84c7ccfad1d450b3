"""What admins do: add accounts (one by one or from a CSV), reset passwords, (de)activate,
change roles, create cohorts and move learners between them.

    viewer = CurrentUser(...)                       # must be an admin, or AccessDenied
    made = create_user(sessions, viewer, username="ada", name="Ada", cohort="Spring 2026")
    print(made.password)                            # generated; shown once, never stored in clear
    report = import_users_csv(sessions, viewer, Path("people.csv").read_text())
    if not report.ok: print("\\n".join(report.problems))   # nothing was created

Each function checks the viewer first, runs in its own transaction and raises ``AdminError``
(or ``db.users.UserError``) with a message that says what to fix. Pages and the CLI
(``python -m portal``) only translate input and show the result.
"""
from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from db import users
from db.models import PACINGS, USER_ROLES, Cohort, CohortMember, User
from portal.access import AccessDenied, require_admin
from portal.auth import CurrentUser

CSV_COLUMNS = ("name", "username", "email", "role", "cohort", "password")


class AdminError(ValueError):
    """An admin action that cannot be done as asked; the message says what to change."""


ADMIN_ERRORS = (AdminError, users.UserError, AccessDenied)
"""What an admin action may raise with a message to show as it is (pages catch these, so that
they need not know the database layer's error types)."""


@dataclass(frozen=True)
class CreatedUser:
    """An account just created, as shown to the admin once."""

    username: str
    name: str
    role: str
    cohort: str | None
    password: str | None
    """The generated temporary password to hand over; None when the admin chose it."""


@dataclass(frozen=True)
class ImportReport:
    """The outcome of a CSV import: either every row created, or nothing and the reasons."""

    created: list[CreatedUser] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line per problem, e.g. "line 4: role 'teacher' is not one of learner, lead, admin"."""

    @property
    def ok(self) -> bool:
        """True when the file had no problems (and its accounts now exist)."""
        return not self.problems


@dataclass(frozen=True)
class UserRow:
    """One account in the admin's table."""

    username: str
    name: str
    role: str
    active: bool
    cohorts: tuple[str, ...]
    """Names of the cohorts the user learns in or leads."""


@dataclass(frozen=True)
class CohortRow:
    """One cohort in the admin's table."""

    id: int
    name: str
    track_id: str
    start_date: date
    pacing: str
    leads: tuple[str, ...]
    """Usernames of the cohort's leads."""
    learners: int


def _generate_password() -> str:
    # 9 random bytes → 12 URL-safe characters: easy to read out, 72 bits of entropy.
    return secrets.token_urlsafe(9)


def _member_role(account_role: str) -> str:
    # Leads and admins put in a cohort lead it; only learners are paced by it.
    return "learner" if account_role == "learner" else "lead"


def _user(session: Session, username: str) -> User:
    user = users.find_user(session, username)
    if user is None:
        raise AdminError(f"no account named {username.strip()!r}; check the spelling in the users table")
    return user


def user_id(session: Session, username: str) -> int:
    """The id of the account named ``username``; AdminError when there is none."""
    return _user(session, username).id


def _cohort(session: Session, name: str) -> Cohort:
    cohort = session.scalar(select(Cohort).where(Cohort.name == name.strip()))
    if cohort is None:
        known = ", ".join(session.scalars(select(Cohort.name).order_by(Cohort.name))) or "none yet"
        raise AdminError(f"no cohort named {name.strip()!r}; known cohorts: {known}")
    return cohort


def create_user(sessions: sessionmaker[Session], viewer: CurrentUser, *, username: str, name: str,
                role: str = "learner", password: str | None = None, cohort: str | None = None) -> CreatedUser:
    """Add one account (and put it in ``cohort``, a cohort name, if given); generates a password if none."""
    require_admin(viewer)
    generated = None if password else _generate_password()
    with sessions() as session, session.begin():
        target = _cohort(session, cohort) if cohort else None
        user = users.create_user(session, username, password or generated, role=role, display_name=name)
        if target is not None:
            session.add(CohortMember(cohort_id=target.id, user_id=user.id, role=_member_role(role)))
        return CreatedUser(user.username, user.display_name, user.role, target.name if target else None, generated)


def _sniff_delimiter(header: str) -> str:
    # Spreadsheets in locales with a decimal comma save "CSV" with semicolons.
    return ";" if header.count(";") > header.count(",") else ","


def _parse_rows(session: Session, text: str) -> tuple[list[tuple[dict[str, str], str | None]], list[str]]:
    """Validate every row; return (row values, cohort name) pairs and every problem found."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return [], ["the file is empty; the first line must name the columns, e.g. name,username,role,cohort"]
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(text.splitlines()[0]))
    header = [h.strip().lower() for h in next(reader)]
    problems = [f"line 1: unknown column {h!r}; use {', '.join(CSV_COLUMNS)}" for h in header if h not in CSV_COLUMNS]
    if "name" not in header:
        problems.append("line 1: the column 'name' is missing")
    if "username" not in header and "email" not in header:
        problems.append("line 1: a column 'username' or 'email' is required")
    if problems:
        return [], problems
    cohorts = set(session.scalars(select(Cohort.name)))
    taken = set(session.scalars(select(User.username)))
    seen: dict[str, int] = {}
    rows = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank lines between rows are harmless
        if len(values) > len(header):
            problems.append(f"line {line}: {len(values)} values but the header names {len(header)} columns")
            continue
        row = {h: v.strip() for h, v in zip(header, values)}
        raw_name = row.get("username") or row.get("email") or ""
        username = users.normalize_username(raw_name)
        role = (row.get("role") or "learner").lower()
        cohort = row.get("cohort") or None
        here = []
        if not row.get("name"):
            here.append("name is empty; give the person's name")
        elif len(row["name"]) > users.MAX_DISPLAY_NAME_CHARS:
            here.append(f"name is {len(row['name'])} characters long; shorten it to at most "
                        f"{users.MAX_DISPLAY_NAME_CHARS}")
        if not username:
            here.append("username/email is empty")
        elif not users.USERNAME_RE.fullmatch(username):
            here.append(f"username {raw_name!r} is not valid: use 3 to 64 letters, digits or _ . @ -")
        elif username in seen:
            here.append(f"username {username!r} appears already on line {seen[username]}")
        elif username in taken:
            here.append(f"username {username!r} already has an account; remove the row")
        if role not in USER_ROLES:
            here.append(f"role {row['role']!r} is not one of {', '.join(USER_ROLES)}")
        if cohort is not None and cohort not in cohorts:
            here.append(f"cohort {cohort!r} does not exist; create it first or fix the name")
        if row.get("password") and len(row["password"]) < users.MIN_PASSWORD_LEN:
            here.append(f"password is shorter than {users.MIN_PASSWORD_LEN} characters; "
                        "leave it empty to generate one")
        problems += [f"line {line}: {p}" for p in here]
        seen.setdefault(username, line)
        rows.append(({"username": username, "name": row.get("name", ""), "role": role,
                      "password": row.get("password", "")}, cohort))
    if not rows and not problems:
        problems.append("the file has a header but no rows")
    return rows, problems


def import_users_csv(sessions: sessionmaker[Session], viewer: CurrentUser, text: str) -> ImportReport:
    """Create every account in a CSV (header: name, username or email, role, cohort, password).

    All or nothing: when any row is bad, nothing is created and the report lists every problem
    with its line number. A UTF-8 BOM and ``;`` separators (as Excel writes them) are accepted.
    """
    require_admin(viewer)
    with sessions() as session, session.begin():
        rows, problems = _parse_rows(session, text)
        if problems:
            return ImportReport(problems=problems)
        cohort_ids = {c.name: c.id for c in session.scalars(select(Cohort))}
        created = []
        for values, cohort in rows:
            generated = None if values["password"] else _generate_password()
            user = users.create_user(session, values["username"], values["password"] or generated,
                                     role=values["role"], display_name=values["name"])
            if cohort is not None:
                session.add(CohortMember(cohort_id=cohort_ids[cohort], user_id=user.id,
                                         role=_member_role(user.role)))
            created.append(CreatedUser(user.username, user.display_name, user.role, cohort, generated))
        return ImportReport(created=created)


def reset_password(sessions: sessionmaker[Session], viewer: CurrentUser, username: str,
                   new_password: str | None = None) -> str:
    """Set a new password (generated if None), lift any login delay and end the account's log-in
    sessions; returns the password to hand over."""
    require_admin(viewer)
    password = new_password or _generate_password()
    with sessions() as session, session.begin():
        users.set_password(session, _user(session, username), password)
    return password


def set_active(sessions: sessionmaker[Session], viewer: CurrentUser, username: str, active: bool) -> None:
    """Allow or stop log-ins for an account (deactivating logs it out everywhere); its work stays.
    Admins cannot deactivate themselves."""
    require_admin(viewer)
    with sessions() as session, session.begin():
        user = _user(session, username)
        if not active and user.id == viewer.id:
            raise AdminError("you cannot deactivate your own account; ask another admin to do it")
        users.set_active(session, user, active)  # deactivating ends their log-in sessions


def set_role(sessions: sessionmaker[Session], viewer: CurrentUser, username: str, role: str) -> None:
    """Change an account's role; a user made a learner stops leading their cohorts."""
    require_admin(viewer)
    if role not in USER_ROLES:
        raise AdminError(f"role {role!r} is not one of {', '.join(USER_ROLES)}")
    with sessions() as session, session.begin():
        user = _user(session, username)
        if user.id == viewer.id and role != "admin":
            raise AdminError("you cannot remove your own admin role; ask another admin to do it")
        user.role = role
        if role == "learner":
            # Cohort visibility follows lead memberships, so they must go with the role.
            session.execute(delete(CohortMember).where(CohortMember.user_id == user.id,
                                                       CohortMember.role == "lead"))


def create_cohort(sessions: sessionmaker[Session], viewer: CurrentUser, *, name: str, track_id: str,
                  start_date: date, pacing: str = "weekly", leads: Sequence[str] = (),
                  known_tracks: Collection[str]) -> int:
    """Create a cohort of ``track_id`` starting on ``start_date``, led by ``leads``; returns its id."""
    require_admin(viewer)
    name = name.strip()
    if not name:
        raise AdminError("the cohort needs a name, e.g. 'Spring 2026'")
    if len(name) > Cohort.name.type.length:  # PostgreSQL would refuse it with a database error
        raise AdminError(f"the cohort name is {len(name)} characters long; "
                         f"shorten it to at most {Cohort.name.type.length}")
    if track_id not in known_tracks:
        raise AdminError(f"no track {track_id!r}; known tracks: {', '.join(sorted(known_tracks)) or 'none'}")
    if pacing not in PACINGS:
        raise AdminError(f"pacing {pacing!r} is not one of {', '.join(PACINGS)}")
    with sessions() as session, session.begin():
        if session.scalar(select(Cohort.id).where(Cohort.name == name)) is not None:
            raise AdminError(f"a cohort named {name!r} exists already; pick another name")
        lead_users = {u.id: u for u in (_user(session, lead) for lead in leads)}.values()
        for user in lead_users:
            if user.role == "learner":
                raise AdminError(f"{user.username!r} is a learner account; make them a lead first "
                                 f"(python -m portal users set-role {user.username} lead)")
        cohort = Cohort(name=name, track_id=track_id, start_date=start_date, pacing=pacing)
        session.add(cohort)
        session.flush()
        session.add_all(CohortMember(cohort_id=cohort.id, user_id=u.id, role="lead") for u in lead_users)
        return cohort.id


def move_learner(sessions: sessionmaker[Session], viewer: CurrentUser, username: str,
                 cohort_name: str | None) -> None:
    """Put a learner in ``cohort_name`` (leaving any other cohort they learn in); None: in no cohort."""
    require_admin(viewer)
    with sessions() as session, session.begin():
        user = _user(session, username)
        target = _cohort(session, cohort_name) if cohort_name else None
        if target is not None and session.scalar(select(CohortMember.id).where(
                CohortMember.cohort_id == target.id, CohortMember.user_id == user.id,
                CohortMember.role == "lead")) is not None:
            raise AdminError(f"{user.username!r} leads {target.name!r} and cannot also learn in it")
        # One cohort per learner: pacing and deadlines come from exactly one place.
        session.execute(delete(CohortMember).where(CohortMember.user_id == user.id,
                                                   CohortMember.role == "learner"))
        if target is not None:
            session.add(CohortMember(cohort_id=target.id, user_id=user.id, role="learner"))


def list_users(sessions: sessionmaker[Session], viewer: CurrentUser) -> list[UserRow]:
    """Every account, by username, with the cohorts it belongs to."""
    require_admin(viewer)
    with sessions() as session:
        memberships: dict[int, list[str]] = {}
        for user_id, cohort in session.execute(
                select(CohortMember.user_id, Cohort.name).join(Cohort).order_by(Cohort.name)):
            memberships.setdefault(user_id, []).append(cohort)
        return [UserRow(u.username, u.display_name, u.role, u.is_active, tuple(memberships.get(u.id, ())))
                for u in session.scalars(select(User).order_by(User.username))]


def list_cohorts(sessions: sessionmaker[Session], viewer: CurrentUser) -> list[CohortRow]:
    """Every cohort, by start date then name, with its leads and number of learners."""
    require_admin(viewer)
    with sessions() as session:
        leads: dict[int, list[str]] = {}
        for cohort_id, username in session.execute(
                select(CohortMember.cohort_id, User.username).join(User)
                .where(CohortMember.role == "lead").order_by(User.username)):
            leads.setdefault(cohort_id, []).append(username)
        learners = dict(session.execute(select(CohortMember.cohort_id, func.count())
                                        .where(CohortMember.role == "learner").group_by(CohortMember.cohort_id)).all())
        return [CohortRow(c.id, c.name, c.track_id, c.start_date, c.pacing, tuple(leads.get(c.id, ())),
                          learners.get(c.id, 0))
                for c in session.scalars(select(Cohort).order_by(Cohort.start_date, Cohort.name))]
