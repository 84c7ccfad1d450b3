"""The learner API over real HTTP: its routes on a real server on a free port, a real platform
(database, content tree, sandboxed grading) behind it, and personal tokens made the way the page
makes them."""
from __future__ import annotations

import http.client
import json
from datetime import date, timedelta

import pytest

from sandbox.public_files import CODE_FILE, public_files
from sandbox.workspace import build_workspace
from courseware.loader import load_bank
from db import users
from db.models import Cohort, CohortMember
from portal.api import max_body_bytes
from portal.auth import CurrentUser
from portal.tokens import create_token, revoke_token

from conftest import CONTENT
from learner_api_fixtures import (FAILING, HIDDEN_MARKER, PASSING, SOLUTION_MARKER, call, platform,  # noqa: F401
                                  wait_final)

pytestmark = [pytest.mark.slow, pytest.mark.database]


def test_me_names_the_tokens_owner(platform):
    assert call(platform, "GET", "/api/v1/me", platform.tokens["ada"]) == (
        200, {"username": "ada", "name": "ada", "role": "learner"})


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic YWRhOnBhc3M="}, {"Authorization": "Bearer "}])
def test_a_request_without_a_token_is_told_where_to_make_one(platform, headers):
    status, body = call(platform, "GET", "/api/v1/me", headers=headers)
    assert status == 401 and "My progress" in body["error"]


def test_wrong_revoked_and_deactivated_tokens_are_refused(platform):
    status, body = call(platform, "GET", "/api/v1/exercises/double/public", "dlc_" + "A" * 43)
    assert status == 401 and "not accepted" in body["error"] and "create a new one" in body["error"].lower()
    with platform.ctx.sessions() as session:
        user = users.find_user(session, "eve")
        revoked, row = create_token(session, user.id, "old laptop")
        revoke_token(session, CurrentUser(user.id, "eve", "eve", "learner"), row.id)
        session.commit()
    assert call(platform, "GET", "/api/v1/me", revoked)[0] == 401
    assert call(platform, "GET", "/api/v1/me", platform.tokens["eve"])[0] == 200
    with platform.ctx.sessions() as session:
        users.find_user(session, "eve").is_active = False
        session.commit()
    try:
        status, body = call(platform, "POST", "/api/v1/submissions", platform.tokens["eve"],
                            {"exercise_id": "double", "code": PASSING, "mode": "submit"})
        assert status == 401 and "deactivated" in body["error"]
    finally:
        with platform.ctx.sessions() as session:
            users.find_user(session, "eve").is_active = True
            session.commit()


def test_public_files_hold_what_a_local_run_needs_and_nothing_hidden(platform, tmp_path):
    status, bundle = call(platform, "GET", "/api/v1/exercises/double/public", platform.tokens["ada"])
    assert status == 200
    assert bundle["code_file"] == CODE_FILE and bundle["test_files"] == ["test_public.py"]
    spec = platform.ctx.bank.exercises["double"]
    # Exactly the files a Run workspace holds, less the learner's code.
    workspace = build_workspace(spec, "x = 1\n", "run", tmp_path)
    on_disk = {p.name: p.read_text() for p in workspace.code.iterdir() if p.name != CODE_FILE and p.is_file()}
    assert bundle["files"] == on_disk
    assert {"test_public.py", "conftest.py", "course_harness.py", "shapes.py"} <= set(bundle["files"])
    text = json.dumps(bundle)
    assert HIDDEN_MARKER not in text and SOLUTION_MARKER not in text
    assert not [name for name in bundle["files"] if name.startswith("test_hidden") or name == "solution.py"]


def test_no_exercise_of_the_real_bank_serves_hidden_tests_or_its_solution():
    bank = load_bank(CONTENT)
    assert bank.exercises
    for spec in bank.exercises.values():
        served = public_files(spec)
        hidden, solution = spec.hidden_tests.read_text(), spec.solution_path.read_text()
        assert "test_hidden.py" not in served and "solution.py" not in served, spec.id
        assert all(text not in (hidden, solution) for text in served.values()), spec.id


def test_submitting_a_passing_and_a_failing_solution(platform):
    token = platform.tokens["ada"]
    status, receipt = call(platform, "POST", "/api/v1/submissions", token,
                           {"exercise_id": "double", "code": PASSING, "mode": "submit"})
    assert status == 201 and receipt["status"] == "queued" and receipt["message"] is None
    view = wait_final(platform, token, receipt["submission_id"])
    assert view["status"] == "passed" and view["score"] == 10 and view["points"] == 10
    assert {t["visibility"] for t in view["tests"]} == {"public", "hidden"} and len(view["tests"]) == 3
    assert "torch.randn(rows, 3)" not in view["output"]  # as on the page: never hidden tests' source

    status, receipt = call(platform, "POST", "/api/v1/submissions", token,
                           {"exercise_id": "double", "code": FAILING, "mode": "run"})
    view = wait_final(platform, token, receipt["submission_id"])
    assert view["status"] == "failed" and [t["outcome"] for t in view["tests"]] == ["failed"]
    assert "double(x) differs" in view["tests"][0]["message"] and "test_doubles_a_vector" in view["output"]


def test_a_learner_cannot_read_another_learners_submission(platform):
    status, receipt = call(platform, "POST", "/api/v1/submissions", platform.tokens["ada"],
                           {"exercise_id": "double", "code": "x = (", "mode": "run"})
    assert status == 201 and receipt["status"] == "error" and "line 1" in receipt["message"]
    path = f"/api/v1/submissions/{receipt['submission_id']}"
    status, body = call(platform, "GET", path, platform.tokens["bob"])
    assert status == 404 and "of yours" in body["error"] and "x = (" not in json.dumps(body)
    assert call(platform, "GET", path, platform.tokens["ada"])[0] == 200
    assert call(platform, "GET", "/api/v1/submissions/999999", platform.tokens["ada"])[0] == 404


def test_unknown_exercises_paths_and_methods(platform):
    token = platform.tokens["ada"]
    status, body = call(platform, "GET", "/api/v1/exercises/no-such/public", token)
    assert status == 404 and "no exercise 'no-such'" in body["error"]
    status, body = call(platform, "POST", "/api/v1/submissions", token,
                        {"exercise_id": "no-such", "code": PASSING, "mode": "run"})
    assert status == 404 and "no exercise" in body["error"]
    status, body = call(platform, "GET", "/api/v1/nothing", token)
    assert status == 404 and "/api/v1/submissions" in body["error"]
    status, body = call(platform, "GET", "/api/v1/submissions", token)
    assert status == 405 and "use POST" in body["error"]


@pytest.mark.parametrize("raw, expected", [
    (b"not json", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"exercise_id": "double", "code": 5, "mode": "run"}', "code"),
    (b'{"exercise_id": "double", "code": "x = 1"}', "mode"),
    (b'{"exercise_id": "double", "code": "x = 1", "mode": "grade"}', "mode must be 'run' or 'submit'"),
    ("{\"exercise_id\": \"double\", \"code\": \"\u00e9\"}".encode("latin-1"), "UTF-8"),
])
def test_bad_bodies_get_a_400_saying_what_to_send(platform, raw, expected):
    status, body = call(platform, "POST", "/api/v1/submissions", platform.tokens["ada"], raw=raw)
    assert status == 400 and expected in body["error"], body


def test_a_body_over_the_limit_is_refused_and_oversized_code_is_stored_as_an_error(platform):
    token, limit = platform.tokens["ada"], max_body_bytes(platform.ctx)
    too_big = {"exercise_id": "double", "code": "#" * limit, "mode": "run"}
    status, body = call(platform, "POST", "/api/v1/submissions", token, too_big)
    assert status == 413 and str(platform.ctx.settings.max_code_bytes) in body["error"]
    # Within the body limit but over the code limit: the grading service's own rule applies.
    code = "#" * (platform.ctx.settings.max_code_bytes + 10)
    status, receipt = call(platform, "POST", "/api/v1/submissions", token,
                           {"exercise_id": "double", "code": code, "mode": "run"})
    assert status == 201 and receipt["status"] == "error" and "the limit is" in receipt["message"]


def test_pacing_locks_apply_as_on_the_page(platform):
    with platform.ctx.sessions() as session:
        cohort = Cohort(name="Later", track_id="tiny", start_date=date.today() + timedelta(days=10), pacing="weekly")
        session.add(cohort)
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, user_id=platform.ids["bob"], role="learner"))
        session.commit()
    status, body = call(platform, "POST", "/api/v1/submissions", platform.tokens["bob"],
                        {"exercise_id": "double", "code": PASSING, "mode": "submit"})
    assert status == 400 and "opens on" in body["error"]


def test_every_path_under_api_answers_in_json_and_other_methods_are_refused(platform):
    token = platform.tokens["ada"]
    status, body = call(platform, "GET", "/api/v2/me", token)
    assert status == 404 and "/api/v1/me" in body["error"]
    status, body = call(platform, "DELETE", "/api/v1/me", token)
    assert status == 405 and "use GET" in body["error"]


def test_a_post_without_a_length_is_told_to_send_one(platform):
    connection = http.client.HTTPConnection("127.0.0.1", platform.port, timeout=30)
    connection.putrequest("POST", "/api/v1/submissions")
    connection.putheader("Authorization", f"Bearer {platform.tokens['ada']}")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 411 and "Content-Length" in json.loads(response.read())["error"]
    connection.close()
