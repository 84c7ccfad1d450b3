"""Accounts: creation rules, argon2 password hashes, and login throttling.

    user = create_user(session, "ada", "correct horse", role="learner")
    session.commit()
    if login_delay_s(session, "ada") > 0: ...     # the UI refuses and says how long to wait
    user = authenticate(session, "ada", "correct horse")   # None on any failure

Usernames are stored lower-case, so "Ada" and "ada" are one account (they are
often e-mail addresses, which are case-insensitive in practice).
"""
from __future__ import annotations

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db import login_sessions
from db.models import USER_ROLES, User, utcnow

USERNAME_RE = re.compile(r"[A-Za-z0-9_.@-]{3,64}")
MIN_PASSWORD_LEN = 8
MAX_DISPLAY_NAME_CHARS = User.display_name.type.length
"""The column's length: PostgreSQL refuses a longer name (SQLite would store it)."""
FREE_FAILURES = 5
"""Consecutive wrong passwords allowed before logins are slowed down."""
MAX_DELAY_S = 30.0

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong username costs as
# much time as a wrong password and response times do not reveal who has an account.
_DUMMY_HASH = _hasher.hash("not a real password")


class UserError(ValueError):
    """Input that cannot make a valid account; the message says what to do instead."""


def normalize_username(username: str) -> str:
    """The stored form of a username: trimmed and lower-case."""
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    """The account called ``username`` (any case), or None."""
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise UserError(f"password is too short: use at least {MIN_PASSWORD_LEN} characters")


def create_user(session: Session, username: str, password: str, role: str = "learner",
                display_name: str | None = None) -> User:
    """Add an account and flush it (the caller commits); raise UserError on bad input."""
    name = normalize_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise UserError(f"username {username!r} is not valid: use 3 to 64 letters, digits "
                        "or the characters _ . @ -")
    _check_password(password)
    if display_name and len(display_name.strip()) > MAX_DISPLAY_NAME_CHARS:
        raise UserError(f"the name is {len(display_name.strip())} characters long; "
                        f"shorten it to at most {MAX_DISPLAY_NAME_CHARS}")
    if role not in USER_ROLES:
        raise UserError(f"role {role!r} is not valid: use one of {', '.join(USER_ROLES)}")
    if find_user(session, name) is not None:
        raise UserError(f"username {name!r} is taken; pick another")
    user = User(username=name, display_name=(display_name or "").strip() or username.strip(),
                password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password (flushes; the caller commits), lift any login delay and end the
    user's log-in sessions: whoever knew the old password is logged out everywhere."""
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.last_failed_login_at = None
    login_sessions.end_all(session, user.id)
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Allow or stop log-ins (flushes; the caller commits); deactivating ends the user's sessions."""
    user.is_active = active
    if not active:
        login_sessions.end_all(session, user.id)
    session.flush()


def _delay_for(failures: int) -> float:
    """Seconds between attempts after ``failures`` consecutive failures: 0, then 1, 2, 4 ... 30."""
    if failures < FREE_FAILURES:
        return 0.0
    # The exponent is capped first: 2 ** 10_000 is a valid int but a silly one.
    return min(2.0 ** min(failures - FREE_FAILURES, 16), MAX_DELAY_S)


def _remaining_delay(user: User, now: datetime) -> float:
    if user.last_failed_login_at is None:
        return 0.0
    waited = (now - user.last_failed_login_at).total_seconds()
    return max(0.0, _delay_for(user.failed_logins) - waited)


def login_delay_s(session: Session, username: str) -> float:
    """Seconds the UI must wait before trying ``username`` again (0.0: go ahead, or unknown)."""
    user = find_user(session, username)
    return 0.0 if user is None else _remaining_delay(user, utcnow())


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None; commits the login bookkeeping.

    Failures are counted even when the caller gives up on a None, hence the commit.
    While a login delay runs (see ``login_delay_s``) every attempt fails unchecked,
    so a script cannot bypass the delay the UI shows.
    """
    user = find_user(session, username)
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    now = utcnow()
    if _remaining_delay(user, now) > 0:
        return None
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        user.last_failed_login_at = now
        session.commit()
        return None
    if not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        # Hash parameters were raised since this password was set: upgrade it now,
        # the only moment the plain password is at hand.
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.last_failed_login_at = None
    session.commit()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def has_admin(session: Session) -> bool:
    """True when any admin account exists (even a deactivated one: no second first-run)."""
    return bool(session.scalar(select(exists().where(User.role == "admin"))))


def create_first_admin(session: Session, username: str, password: str) -> User:
    """Create the very first admin (flushes; the caller commits); UserError if one exists."""
    if has_admin(session):
        raise UserError("an admin account exists already; ask an admin to add accounts")
    return create_user(session, username, password, role="admin")

