"""Account rules, password checks, login throttling and the first admin."""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from db.models import User
from db.users import (
    UserError, authenticate, create_first_admin, create_user, find_user, has_admin,
    login_delay_s, set_password,
)

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

PASSWORD = "correct horse"


def _age_last_failure(session: Session, username: str, seconds: float) -> None:
    """Pretend the last failed login happened ``seconds`` earlier (instead of sleeping)."""
    user = find_user(session, username)
    assert user is not None and user.last_failed_login_at is not None
    user.last_failed_login_at -= timedelta(seconds=seconds)
    session.commit()


def test_create_user_stores_an_argon2_hash_not_the_password(db_session: Session) -> None:
    user = create_user(db_session, "Ada.Lovelace@example.org", PASSWORD, display_name="Ada")
    assert user.id is not None  # flushed
    assert user.username == "ada.lovelace@example.org"
    assert user.display_name == "Ada"
    assert user.role == "learner" and user.is_active and user.failed_logins == 0
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD)


def test_create_user_does_not_commit(db_sessions) -> None:
    with db_sessions() as session:
        create_user(session, "ada", PASSWORD)
    with db_sessions() as session:
        assert find_user(session, "ada") is None


def test_display_name_defaults_to_the_username_as_typed(db_session: Session) -> None:
    assert create_user(db_session, "Grace", PASSWORD).display_name == "Grace"


@pytest.mark.parametrize("taken", ["ada", "ADA", " ada "])
def test_duplicate_usernames_are_refused(db_session: Session, taken: str) -> None:
    create_user(db_session, "ada", PASSWORD)
    with pytest.raises(UserError, match="username 'ada' is taken; pick another"):
        create_user(db_session, taken, PASSWORD)


@pytest.mark.parametrize("name", ["ab", "a" * 65, "has space", "semi;colon", "", "ünï"])
def test_bad_usernames_are_refused(db_session: Session, name: str) -> None:
    with pytest.raises(UserError, match="use 3 to 64 letters"):
        create_user(db_session, name, PASSWORD)


def test_longest_and_shortest_usernames_are_fine(db_session: Session) -> None:
    create_user(db_session, "abc", PASSWORD)
    create_user(db_session, "a_b.c@d-" + "e" * 56, PASSWORD)


def test_a_display_name_longer_than_its_column_is_refused(db_session: Session) -> None:
    create_user(db_session, "ada", PASSWORD, display_name="A" * 128)
    with pytest.raises(UserError, match="129 characters long; shorten it to at most 128"):
        create_user(db_session, "bob", PASSWORD, display_name="B" * 129)


def test_short_passwords_and_unknown_roles_are_refused(db_session: Session) -> None:
    with pytest.raises(UserError, match="at least 8 characters"):
        create_user(db_session, "ada", "1234567")
    with pytest.raises(UserError, match="use one of learner, lead, admin"):
        create_user(db_session, "ada", PASSWORD, role="teacher")


def test_authenticate_accepts_the_right_password_only(db_session: Session) -> None:
    create_user(db_session, "ada", PASSWORD)
    db_session.commit()
    user = authenticate(db_session, "Ada", PASSWORD)
    assert user is not None and user.username == "ada"
    assert authenticate(db_session, "ada", PASSWORD.upper()) is None
    assert authenticate(db_session, "nobody", PASSWORD) is None


def test_inactive_users_cannot_log_in(db_session: Session) -> None:
    create_user(db_session, "ada", PASSWORD).is_active = False
    db_session.commit()
    assert authenticate(db_session, "ada", PASSWORD) is None


def test_failures_are_counted_and_committed_and_success_resets_them(db_sessions) -> None:
    with db_sessions() as session:
        create_user(session, "ada", PASSWORD)
        session.commit()
    with db_sessions() as session:
        assert authenticate(session, "ada", "wrong password") is None
        assert authenticate(session, "ada", "wrong password") is None
    with db_sessions() as session:  # a fresh session sees them: they were committed
        user = find_user(session, "ada")
        assert user is not None and user.failed_logins == 2 and user.last_failed_login_at
        assert authenticate(session, "ada", PASSWORD) is not None
    with db_sessions() as session:
        user = find_user(session, "ada")
        assert user is not None and user.failed_logins == 0 and user.last_failed_login_at is None


def test_login_delay_starts_after_five_failures_and_grows(db_session: Session) -> None:
    create_user(db_session, "ada", PASSWORD)
    db_session.commit()
    for _ in range(4):
        authenticate(db_session, "ada", "wrong password")
    assert login_delay_s(db_session, "ada") == 0.0
    delays = []
    for _ in range(8):
        authenticate(db_session, "ada", "wrong password")
        delays.append(login_delay_s(db_session, "ada"))
        _age_last_failure(db_session, "ada", delays[-1] + 0.01)  # wait the delay out
    # What is left of each delay when read: the failure's time is taken before the (slow, on a loaded
    # machine) password check, so up to a second may be gone already; never more than the full delay.
    assert [math.ceil(d) for d in delays] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert authenticate(db_session, "ada", PASSWORD) is not None
    assert login_delay_s(db_session, "ada") == 0.0


def test_attempts_during_the_delay_fail_even_with_the_right_password(db_session: Session) -> None:
    create_user(db_session, "ada", PASSWORD)
    db_session.commit()
    for _ in range(6):  # the sixth comes inside the delay the fifth started
        authenticate(db_session, "ada", "wrong password")
    assert 0.5 < login_delay_s(db_session, "ada") <= 1.0
    assert authenticate(db_session, "ada", PASSWORD) is None
    user = find_user(db_session, "ada")
    assert user is not None and user.failed_logins == 5  # refused unchecked, not counted
    _age_last_failure(db_session, "ada", 1.1)
    assert authenticate(db_session, "ada", PASSWORD) is not None


def test_unknown_users_have_no_delay(db_session: Session) -> None:
    assert login_delay_s(db_session, "nobody") == 0.0


def test_weak_hashes_are_upgraded_on_login(db_session: Session) -> None:
    user = create_user(db_session, "ada", PASSWORD)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    db_session.commit()
    weak = user.password_hash
    assert authenticate(db_session, "ada", PASSWORD) is not None
    assert user.password_hash != weak
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert authenticate(db_session, "ada", PASSWORD) is not None


def test_set_password_replaces_it_and_lifts_the_delay(db_session: Session) -> None:
    user = create_user(db_session, "ada", PASSWORD)
    for _ in range(7):
        authenticate(db_session, "ada", "wrong password")
    set_password(db_session, user, "a new passphrase")
    db_session.commit()
    assert login_delay_s(db_session, "ada") == 0.0
    assert authenticate(db_session, "ada", PASSWORD) is None
    assert authenticate(db_session, "ada", "a new passphrase") is not None
    with pytest.raises(UserError):
        set_password(db_session, user, "short")


def test_the_first_admin_can_be_created_once(db_session: Session) -> None:
    create_user(db_session, "lead", PASSWORD, role="lead")
    assert not has_admin(db_session)
    admin = create_first_admin(db_session, "root", PASSWORD)
    assert admin.role == "admin" and has_admin(db_session)
    with pytest.raises(UserError, match="an admin account exists already"):
        create_first_admin(db_session, "root2", PASSWORD)


def test_a_deactivated_admin_still_blocks_a_second_first_admin(db_session: Session) -> None:
    create_first_admin(db_session, "root", PASSWORD).is_active = False
    db_session.flush()
    assert has_admin(db_session)


def test_role_is_checked_by_the_database_too(db_session: Session) -> None:
    from sqlalchemy.exc import IntegrityError

    db_session.add(User(username="eve", display_name="Eve", password_hash="x", role="root"))
    with pytest.raises(IntegrityError, match="ck_users_role"):
        db_session.flush()
