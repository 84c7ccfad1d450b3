"""The learner API: a small JSON-over-HTTP service for the command-line client (``learner_cli``).

    GET  /api/v1/me                          who the token belongs to
    GET  /api/v1/exercises/<id>/public       the files a local run of the public tests needs
    POST /api/v1/submissions                 {"exercise_id", "code", "mode": "run" | "submit"}
    GET  /api/v1/submissions/<id>            the verdict, as the exercise page shows it

Every request carries ``Authorization: Bearer <token>`` (a personal token made on *My progress*).
Grading goes through the same ``GradingService`` as the page, so pacing locks, size limits and
input checks are the page's. Errors are ``{"error": "..."}`` saying what to do.

    api = start_api(ctx, "127.0.0.1", 0)      # a daemon thread; api.url, api.port, api.close()
    python -m portal.api                      # standalone, on API_HOST:API_PORT
"""
from __future__ import annotations

import json
import logging
import re
import signal
import sys
import threading
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

from sandbox.public_files import CODE_FILE, PUBLIC_TEST_FILE, public_files
from grading.service import SubmitError
from courseware.spec import ExerciseSpec
from portal.auth import CurrentUser
from portal.context import AppContext
from portal.tokens import authenticate

log = logging.getLogger(__name__)

BODY_SLACK_BYTES = 16 * 1024
"""Room in a request body for JSON escapes and the other fields, beyond twice the code limit."""
DISCARD_LIMIT_BYTES = 8 * 1024 * 1024
"""A refused body up to this size is read and dropped before answering; a larger one is cut off."""
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


@dataclass
class ApiServer:
    """A running API server (a daemon thread); ``close()`` stops it and frees the port."""

    httpd: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def host(self) -> str:
        """The address it listens on."""
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        """The port it listens on (the real one when started on port 0)."""
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port`` (IPv6 addresses in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        """Stop serving, close the socket and wait for the serving thread."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def max_body_bytes(ctx: AppContext) -> int:
    """The largest request body accepted: twice the code limit (JSON escapes) plus some slack."""
    return 2 * ctx.settings.max_code_bytes + BODY_SLACK_BYTES


def start_api(ctx: AppContext, host: str, port: int) -> ApiServer:
    """Serve the API for ``ctx`` on ``host:port`` (0: any free port) in a daemon thread.

    Raises OSError when the address cannot be bound (e.g. the port is taken).
    """
    handler = type("BoundApiHandler", (ApiHandler,), {"ctx": ctx})
    httpd = ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name=f"learner-api:{port}", daemon=True)
    thread.start()
    return ApiServer(httpd, thread)


def serve_beside_app(ctx: AppContext) -> ApiServer | None:
    """The API on API_HOST:API_PORT for the app's process, or None when API_PORT=0 or the
    address cannot be bound (logged; the app runs on and *My progress* says the API is unavailable)."""
    settings = ctx.settings
    if settings.api_port == 0:
        return None
    try:
        server = start_api(ctx, settings.api_host, settings.api_port)
    except OSError as exc:
        log.warning("learner API not started on %s:%d (%s); the app runs without it. Free the port "
                    "or set API_PORT to another one (0 turns the API off).",
                    settings.api_host, settings.api_port, exc)
        return None
    log.info("learner API on %s", server.url)
    return server


class ApiHandler(BaseHTTPRequestHandler):
    """Routes one request; ``ctx`` is bound by ``start_api``."""

    ctx: AppContext
    server_version = "course-api/1"
    timeout = 30  # seconds a client may take to send its request (a stalled one holds a thread)
    _body_consumed = False

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        """Dispatch a GET."""
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        """Dispatch a POST."""
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        """Refused: nothing here is replaced."""
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        """Refused: nothing here is deleted through the API."""
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        """Requests go to the logging system, not stderr."""
        log.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        try:
            matches = [(m, action, found) for m, pattern, action in ROUTES if (found := re.fullmatch(pattern, path))]
            if not matches:
                raise ApiError(404, f"There is no {path} here; the API has /api/v1/me, "
                                    "/api/v1/exercises/<id>/public and /api/v1/submissions[/<id>].")
            for route_method, action, found in matches:
                if route_method == method:
                    status, payload = action(self, self._viewer(), *found.groups())
                    self._send(status, payload)
                    return
            allowed = ", ".join(m for m, _, _ in matches)
            raise ApiError(405, f"{method} is not allowed on {path}; use {allowed}.")
        except ApiError as exc:
            if not self._body_consumed:
                self._discard()
            self._send(exc.status, {"error": exc.message})
        except Exception:
            log.exception("learner API failed on %s %s", method, path)
            self._send(500, {"error": "The server hit an internal error; try again, and tell your course "
                                      "admin if it keeps happening."})

    def _viewer(self) -> CurrentUser:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, NO_TOKEN)
        with self.ctx.sessions() as session:
            user = authenticate(session, token.strip())
            session.commit()
            if user is None:
                raise ApiError(401, BAD_TOKEN)
            return CurrentUser(user.id, user.username, user.display_name or user.username, user.role)

    def json_body(self) -> dict[str, Any]:
        """The request's JSON object; ApiError (400, 408, 411, 413) saying what to send instead."""
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            raise ApiError(411, "Send a Content-Length header with the JSON body.")
        try:
            length = int(length_header)
        except ValueError:
            raise ApiError(400, "The Content-Length header is not a number.") from None
        limit = max_body_bytes(self.ctx)
        if length > limit:
            raise ApiError(413, f"The request body is {length} bytes; the most accepted is {limit}. "
                                f"Code may be at most {self.ctx.settings.max_code_bytes} bytes: shorten the file.")
        self._body_consumed = True
        try:
            raw = self.rfile.read(max(length, 0))
        except TimeoutError:
            raise ApiError(408, f"The request body did not arrive within {self.timeout} s; send it again.") from None
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "The body is not JSON in UTF-8; send "
                                '{"exercise_id": "...", "code": "...", "mode": "run" or "submit"}.') from None
        if not isinstance(body, dict):
            raise ApiError(400, 'The body must be a JSON object: {"exercise_id", "code", "mode"}.')
        return body

    def _discard(self) -> None:
        """Read and drop the body of a refused request, so the client can read the answer: closing
        a socket with unread data resets the connection, and the client may lose the response."""
        self.close_connection = True
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return
        left = min(length, DISCARD_LIMIT_BYTES)
        while left > 0:
            chunk = self.rfile.read(min(left, 64 * 1024))
            if not chunk:
                break
            left -= len(chunk)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="course"')
        self.end_headers()
        self.wfile.write(data)

    def spec_or_404(self, exercise_id: str) -> ExerciseSpec:
        """The exercise, or ApiError 404 saying where its id is found."""
        spec = self.ctx.bank.exercises.get(exercise_id)
        if spec is None:
            raise ApiError(404, f"There is no exercise {exercise_id!r}; use the id in the exercise page's "
                                "address (…/exercise?id=<id>), e.g. stable-softmax.")
        return spec


def _me(handler: ApiHandler, viewer: CurrentUser) -> tuple[int, dict[str, Any]]:
    return 200, {"username": viewer.username, "name": viewer.display_name, "role": viewer.role}


def _public(handler: ApiHandler, viewer: CurrentUser, exercise_id: str) -> tuple[int, dict[str, Any]]:
    spec = handler.spec_or_404(exercise_id)
    return 200, {"exercise_id": spec.id, "title": spec.title, "code_file": CODE_FILE,
                 "test_files": [PUBLIC_TEST_FILE], "files": public_files(spec),
                 "time_s": spec.limits.time_s, "max_code_bytes": handler.ctx.settings.max_code_bytes,
                 "datasets": list(spec.datasets)}


def _submit(handler: ApiHandler, viewer: CurrentUser) -> tuple[int, dict[str, Any]]:
    body = handler.json_body()
    wrong = [k for k in ("exercise_id", "code", "mode") if not isinstance(body.get(k), str)]
    if wrong:
        raise ApiError(400, f"Missing or not text: {', '.join(wrong)}. Send "
                            '{"exercise_id": "...", "code": "...", "mode": "run" or "submit"}.')
    handler.spec_or_404(body["exercise_id"])
    try:
        receipt = handler.ctx.grading.submit(user_id=viewer.id, exercise_id=body["exercise_id"],
                                             code=body["code"], mode=body["mode"])
    except SubmitError as exc:
        raise ApiError(400, str(exc)) from None
    return 201, {"submission_id": receipt.submission_id, "status": receipt.status, "message": receipt.message}


def _verdict(handler: ApiHandler, viewer: CurrentUser, submission_id: str) -> tuple[int, dict[str, Any]]:
    view = handler.ctx.grading.verdict(user_id=viewer.id, submission_id=int(submission_id))
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


def main() -> int:
    """Serve the API standalone on API_HOST:API_PORT until interrupted (for deployments)."""
    from courseware.loader import ContentError
    from config import SettingsError, get_settings
    from portal.context import build_context

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
        if settings.api_port == 0:
            print("API_PORT=0 turns the learner API off; set API_PORT (e.g. 8502) to serve it.", file=sys.stderr)
            return 2
        ctx = build_context(settings)
    except (SettingsError, ContentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        server = start_api(ctx, settings.api_host, settings.api_port)
    except OSError as exc:
        ctx.close()
        print(f"error: cannot listen on {settings.api_host}:{settings.api_port} ({exc}); free the port or "
              "set API_PORT to another one.", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"learner API on {server.url} (Ctrl-C stops it)", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
