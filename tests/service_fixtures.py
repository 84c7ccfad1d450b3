"""Helpers for tests that drive the grading service directly: an account, and waiting for a verdict."""
from __future__ import annotations

import time

from db import users


def new_user(ctx, name="ada") -> int:
    with ctx.sessions() as session:
        user = users.create_user(session, name, "password-123")
        session.commit()
        return user.id


def wait_final(ctx, user_id, submission_id, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = ctx.grading.verdict(user_id=user_id, submission_id=submission_id)
        if view.final:
            return view
        time.sleep(0.05)
    raise AssertionError(f"submission {submission_id} not final after {timeout_s}s")
