"""Talking to the learner API over HTTP with the standard library (urllib).

    client = ApiClient("http://127.0.0.1:8501", token)
    bundle = client.get("/api/v1/exercises/stable-softmax/public")

Every failure becomes a ``CliError`` whose message says what to do next.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT_S = 30


class CliError(Exception):
    """Usage, connection or authentication trouble: printed as one message, exit status 2."""


def check_server_url(server: str) -> str:
    """``server`` without a trailing slash; CliError unless it is an http(s) URL with a host."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(f"{server!r} is not a server address; use e.g. http://127.0.0.1:8501 "
                       "(--server or COURSE_SERVER).")
    return server.rstrip("/")


class ApiClient:
    """JSON requests with the learner's token to one course server."""

    def __init__(self, server: str, token: str) -> None:
        self.server = check_server_url(server)
        self.token = token

    def get(self, path: str) -> dict[str, Any]:
        """GET ``path`` and return its JSON object."""
        return self._request(urllib.request.Request(self.server + path, method="GET"))

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST ``payload`` as JSON (UTF-8, not \\u-escaped, so code stays near its own size)."""
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.server + path, data=data, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        return self._request(request)

    def _request(self, request: urllib.request.Request) -> dict[str, Any]:
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                return _json_object(response.read())
        except urllib.error.HTTPError as exc:
            message = _error_message(exc)
            if exc.code == 401:
                raise CliError(f"Not accepted by {self.server}: {message}") from None
            raise CliError(f"{self.server} answered {exc.code}: {message}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CliError(f"Cannot reach the course server at {self.server} ({reason}). Is the app running "
                           "there? Pass the right address with --server or COURSE_SERVER.") from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CliError("The server's answer is not JSON: is --server the address you open the course at "
                       "(e.g. http://127.0.0.1:8501), with nothing after the port?") from None
    if not isinstance(data, dict):
        raise CliError("The server's answer is not a JSON object; is --server the address you open the course at?")
    return data


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, OSError):
        return exc.reason or "no explanation given"
    return str(body.get("error")) if isinstance(body, dict) and body.get("error") else str(exc.reason)
