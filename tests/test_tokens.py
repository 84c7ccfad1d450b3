"""Personal API tokens: shown once, stored as a hash, revocable by the owner or an admin."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from db.models import ApiToken, User
from db.users import create_user
from portal.access import AccessDenied
from portal.auth import CurrentUser
from portal.tokens import (MAX_ACTIVE_TOKENS, TokenError, authenticate, create_token, list_tokens,
                           revoke_token)


pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


def viewer(user: User) -> CurrentUser:
    return CurrentUser(user.id, user.username, user.display_name, user.role)


@pytest.fixture
def people(db_session):
    made = {name: create_user(db_session, name, "password-123", role=role)
            for name, role in (("ada", "learner"), ("bob", "learner"), ("root", "admin"))}
    db_session.commit()
    return made


def test_only_the_hash_and_a_short_prefix_are_stored(db_session, people):
    token, row = create_token(db_session, people["ada"].id, "  my   laptop ")
    db_session.commit()
    assert token.startswith("dlc_") and len(token) > 40
    stored = db_session.get(ApiToken, row.id)
    assert stored.name == "my laptop"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.prefix == token[:10] and token not in (stored.token_hash, stored.prefix)
    other, _ = create_token(db_session, people["ada"].id, "desktop")
    assert other != token


def test_authenticate_returns_the_owner_and_marks_the_token_used(db_session, people):
    token, row = create_token(db_session, people["ada"].id, "laptop")
    db_session.commit()
    assert row.last_used_at is None
    assert authenticate(db_session, token).username == "ada"
    db_session.commit()
    first_use = db_session.get(ApiToken, row.id).last_used_at
    assert first_use is not None
    # Within the minute the use is not written again; after it, it is.
    assert authenticate(db_session, token).username == "ada"
    assert db_session.get(ApiToken, row.id).last_used_at == first_use
    row.last_used_at = first_use - timedelta(minutes=5)
    assert authenticate(db_session, token) is not None
    assert row.last_used_at > first_use - timedelta(minutes=5)


@pytest.mark.parametrize("guess", ["", "dlc_", "dlc_wrong", "not-a-token", "dlc_" + "x" * 500])
def test_unknown_tokens_are_refused(db_session, people, guess):
    create_token(db_session, people["ada"].id, "laptop")
    assert authenticate(db_session, guess) is None


def test_a_revoked_token_and_a_deactivated_account_are_refused(db_session, people):
    ada_token, ada_row = create_token(db_session, people["ada"].id, "laptop")
    bob_token, _ = create_token(db_session, people["bob"].id, "laptop")
    revoke_token(db_session, viewer(people["ada"]), ada_row.id)
    people["bob"].is_active = False
    db_session.commit()
    assert authenticate(db_session, ada_token) is None
    assert authenticate(db_session, bob_token) is None
    people["bob"].is_active = True
    assert authenticate(db_session, bob_token).username == "bob"


def test_only_the_owner_or_an_admin_may_revoke(db_session, people):
    _, row = create_token(db_session, people["ada"].id, "laptop")
    with pytest.raises(AccessDenied, match="your own tokens"):
        revoke_token(db_session, viewer(people["bob"]), row.id)
    assert row.revoked_at is None
    revoke_token(db_session, viewer(people["root"]), row.id)
    assert row.revoked_at is not None
    again = revoke_token(db_session, viewer(people["ada"]), row.id)
    assert again.revoked_at == row.revoked_at  # revoking twice keeps the first time
    with pytest.raises(TokenError, match="no token #999"):
        revoke_token(db_session, viewer(people["ada"]), 999)


def test_listing_shows_the_owners_active_tokens_newest_first(db_session, people):
    _, first = create_token(db_session, people["ada"].id, "first")
    _, second = create_token(db_session, people["ada"].id, "second")
    create_token(db_session, people["bob"].id, "bobs")
    revoke_token(db_session, viewer(people["ada"]), first.id)
    assert [t.name for t in list_tokens(db_session, people["ada"].id)] == ["second"]
    assert [t.name for t in list_tokens(db_session, people["ada"].id, include_revoked=True)] == ["second", "first"]


def test_names_must_be_given_and_distinct_and_active_tokens_are_capped(db_session, people):
    ada = people["ada"].id
    for bad in ("", "   ", "x" * 65):
        with pytest.raises(TokenError, match="name of 1 to 64"):
            create_token(db_session, ada, bad)
    create_token(db_session, ada, "laptop")
    with pytest.raises(TokenError, match="already have a token named 'laptop'"):
        create_token(db_session, ada, "laptop")
    for i in range(MAX_ACTIVE_TOKENS - 1):
        create_token(db_session, ada, f"machine {i}")
    with pytest.raises(TokenError, match="revoke one"):
        create_token(db_session, ada, "one too many")
    # A revoked token frees its name and its place.
    revoke_token(db_session, viewer(people["ada"]), list_tokens(db_session, ada)[-1].id)
    create_token(db_session, ada, "laptop")
