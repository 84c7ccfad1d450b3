"""The learner API: JSON over HTTP for the command-line client (``learner_cli``), served as
routes of the app's own Starlette server (``serve.py``), on the app's port and origin.

    GET  /api/v1/me                          who the token belongs to
    GET  /api/v1/exercises/<id>/public       the files a local run of the public tests needs
    POST /api/v1/submissions                 {"exercise_id", "code", "mode": "run" | "submit"}
    GET  /api/v1/submissions/<id>            the verdict, as the exercise page shows it

Every request carries ``Authorization: Bearer <token>`` (a personal token made on *My progress*).
Grading goes through the same ``GradingService`` as the page, so pacing locks, size limits and
input checks are the page's. Errors are ``{"error": "..."}`` saying what to do.

    st.App("app.py", routes=api_routes(get_context))     # serve.py: the app process's own context
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import asdict, dataclass
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from courseware.spec import ExerciseSpec
from grading.service import SubmitError
from portal.auth import CurrentUser
from portal.context import AppContext
from portal.tokens import authenticate
from portal.web_routes import base_path
from sandbox.public_files import CODE_FILE, PUBLIC_TEST_FILE, public_files

log = logging.getLogger(__name__)

PREFIX = "/api/"
"""Everything under this path is the API's: an unknown path there is a JSON 404, not a page."""
BODY_SLACK_BYTES = 16 * 1024
"""Room in a request body for JSON escapes and the other fields, beyond twice the code limit."""
DISCARD_LIMIT_BYTES = 8 * 1024 * 1024
"""A refused body up to this size is read and dropped before answering; a larger one is cut off."""
BODY_TIMEOUT_S = 30
"""Seconds a client may take to send its request body (a stalled one holds a connection)."""
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
NO_TOKEN = ("This API needs a personal token: create one on the My progress page (Command-line access), "
            "then run `python -m learner_cli login` or send 'Authorization: Bearer <token>'.")
BAD_TOKEN = ("The token was not accepted: it is mistyped, revoked, or its account is deactivated. "
             "Create a new one on the My progress page and run `python -m learner_cli login` again.")


class ApiError(Exception):
    """A request the API refuses: HTTP status and a message saying what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def max_body_bytes(ctx: AppContext) -> int:
    """The largest request body accepted: twice the code limit (JSON escapes) plus some slack."""
    return 2 * ctx.settings.max_code_bytes + BODY_SLACK_BYTES


def api_routes(context: Callable[[], AppContext]) -> list[Route]:
    """The API's routes for ``st.App`` (under Streamlit's base URL path); ``context`` gives the
    process's platform (its database, content and grading service)."""
    prefix = base_path() + PREFIX

    async def endpoint(request: Request) -> Response:
        return await _answer(request, context, request.url.path.removeprefix(base_path()))

    return [Route(prefix.rstrip("/"), endpoint, methods=METHODS),
            Route(prefix + "{rest:path}", endpoint, methods=METHODS)]


@dataclass
class Call:
    """One authenticated request, as an action sees it."""

    ctx: AppContext
    viewer: CurrentUser
    body: dict[str, Any] | None

    def spec_or_404(self, exercise_id: str) -> ExerciseSpec:
        """The exercise, or ApiError 404 saying where its id is found."""
        spec = self.ctx.bank.exercises.get(exercise_id)
        if spec is None:
            raise ApiError(404, f"There is no exercise {exercise_id!r}; use the id in the exercise page's "
                                "address (…/exercise?id=<id>), e.g. stable-softmax.")
        return spec


async def _answer(request: Request, context: Callable[[], AppContext], path: str) -> Response:
    body_read = False
    try:
        matches = [(m, action, found) for m, pattern, action in ROUTES if (found := re.fullmatch(pattern, path))]
        if not matches:
            raise ApiError(404, f"There is no {path} here; the API has /api/v1/me, "
                                "/api/v1/exercises/<id>/public and /api/v1/submissions[/<id>].")
        chosen = [(action, found) for m, action, found in matches if m == request.method]
        if not chosen:
            allowed = ", ".join(m for m, _, _ in matches)
            raise ApiError(405, f"{request.method} is not allowed on {path}; use {allowed}.")
        action, found = chosen[0]
        ctx = await run_in_threadpool(context)
        viewer = await run_in_threadpool(_viewer, ctx, request.headers.get("Authorization", ""))
        body = None
        if request.method == "POST":
            body_read = True
            body = await _json_body(request, ctx)
        status, payload = await run_in_threadpool(action, Call(ctx, viewer, body), *found.groups())
        return _json(status, payload)
    except ApiError as exc:
        if not body_read:
            await _discard(request)
        return _json(exc.status, {"error": exc.message})
    except Exception:
        log.exception("learner API failed on %s %s", request.method, path)
        return _json(500, {"error": "The server hit an internal error; try again, and tell your course "
                                    "admin if it keeps happening."})


def _viewer(ctx: AppContext, header: str) -> CurrentUser:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, NO_TOKEN)
    with ctx.sessions() as session:
        user = authenticate(session, token.strip())
        session.commit()
        if user is None:
            raise ApiError(401, BAD_TOKEN)
        return CurrentUser(user.id, user.username, user.display_name or user.username, user.role)


async def _json_body(request: Request, ctx: AppContext) -> dict[str, Any]:
    """The request's JSON object; ApiError (400, 408, 411, 413) saying what to send instead."""
    length_header = request.headers.get("Content-Length")
    if length_header is None:
        raise ApiError(411, "Send a Content-Length header with the JSON body.")
    try:
        length = int(length_header)
    except ValueError:
        raise ApiError(400, "The Content-Length header is not a number.") from None
    limit = max_body_bytes(ctx)
    if length > limit:
        await _discard(request)
        raise ApiError(413, f"The request body is {length} bytes; the most accepted is {limit}. "
                            f"Code may be at most {ctx.settings.max_code_bytes} bytes: shorten the file.")
    try:
        raw = await asyncio.wait_for(request.body(), timeout=BODY_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise ApiError(408, f"The request body did not arrive within {BODY_TIMEOUT_S} s; send it again.") from None
    except ClientDisconnect:
        raise ApiError(400, "The connection closed before the body arrived; send it again.") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "The body is not JSON in UTF-8; send "
                            '{"exercise_id": "...", "code": "...", "mode": "run" or "submit"}.') from None
    if not isinstance(body, dict):
        raise ApiError(400, 'The body must be a JSON object: {"exercise_id", "code", "mode"}.')
    return body


async def _discard(request: Request) -> None:
    """Read and drop (up to a limit) the body of a refused request, so the client can read the
    answer: closing a socket with unread data resets the connection, and the client may lose it."""
    left = DISCARD_LIMIT_BYTES
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                left -= len(chunk)
                if left <= 0:
                    break
    except (ClientDisconnect, TimeoutError, RuntimeError):
        pass  # gone, stalled, or the body was already read


def _json(status: int, payload: dict[str, Any]) -> Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="course"'
    return Response(json.dumps(payload, ensure_ascii=False).encode("utf-8"), status_code=status,
                    media_type="application/json; charset=utf-8", headers=headers)


def _me(call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"username": call.viewer.username, "name": call.viewer.display_name, "role": call.viewer.role}


def _public(call: Call, exercise_id: str) -> tuple[int, dict[str, Any]]:
    spec = call.spec_or_404(exercise_id)
    return 200, {"exercise_id": spec.id, "title": spec.title, "code_file": CODE_FILE,
                 "test_files": [PUBLIC_TEST_FILE], "files": public_files(spec),
                 "time_s": spec.limits.time_s, "max_code_bytes": call.ctx.settings.max_code_bytes,
                 "datasets": list(spec.datasets)}


def _submit(call: Call) -> tuple[int, dict[str, Any]]:
    body = call.body or {}
    wrong = [k for k in ("exercise_id", "code", "mode") if not isinstance(body.get(k), str)]
    if wrong:
        raise ApiError(400, f"Missing or not text: {', '.join(wrong)}. Send "
                            '{"exercise_id": "...", "code": "...", "mode": "run" or "submit"}.')
    call.spec_or_404(body["exercise_id"])
    try:
        receipt = call.ctx.grading.submit(user_id=call.viewer.id, exercise_id=body["exercise_id"],
                                          code=body["code"], mode=body["mode"])
    except SubmitError as exc:
        raise ApiError(400, str(exc)) from None
    return 201, {"submission_id": receipt.submission_id, "status": receipt.status, "message": receipt.message}


def _verdict(call: Call, submission_id: str) -> tuple[int, dict[str, Any]]:
    view = call.ctx.grading.verdict(user_id=call.viewer.id, submission_id=int(submission_id))
    if view is None:
        raise ApiError(404, f"There is no submission {submission_id} of yours (a token reads only its "
                            "owner's submissions).")
    return 200, asdict(view) | {"final": view.final}


Action = Callable[..., tuple[int, dict[str, Any]]]
ROUTES: tuple[tuple[str, str, Action], ...] = (
    ("GET", r"/api/v1/me", _me),
    ("GET", r"/api/v1/exercises/([^/]+)/public", _public),
    ("POST", r"/api/v1/submissions", _submit),
    ("GET", r"/api/v1/submissions/(\d{1,18})", _verdict),
)
