"""Log-in, log-out and the first-run admin account, as the pages need them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from db import users


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in user as kept in the browser session (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one log-in attempt."""

    user: CurrentUser | None
    message: str | None = None
    """Why the log-in failed, without saying whether the username exists."""


def needs_first_admin(sessions: sessionmaker[Session]) -> bool:
    """True on a fresh install: the first page creates the admin account."""
    with sessions() as session:
        return not users.has_admin(session)


def create_first_admin(sessions: sessionmaker[Session], username: str, password: str,
                       confirm: str) -> CurrentUser:
    """Create the first admin; raises ``users.UserError`` with a message to show."""
    if password != confirm:
        raise users.UserError("The two passwords differ; type the same password twice.")
    with sessions() as session:
        user = users.create_first_admin(session, username.strip(), password)
        session.commit()
        return _current(user)


def log_in(sessions: sessionmaker[Session], username: str, password: str) -> LoginResult:
    """Check a username and password; repeated failures make the next attempt wait."""
    username = username.strip()
    with sessions() as session:
        delay = users.login_delay_s(session, username)
        if delay > 0:
            return LoginResult(None, f"Too many failed attempts; wait {delay:.0f} s and try again.")
        user = users.authenticate(session, username, password)
        session.commit()
        if user is None:
            return LoginResult(None, "Wrong username or password (or the account is deactivated).")
        return LoginResult(_current(user))


def current_user_of(user) -> CurrentUser:
    """The session's view of an account row (never its password hash)."""
    return CurrentUser(user.id, user.username, user.display_name or user.username, user.role)


_current = current_user_of
