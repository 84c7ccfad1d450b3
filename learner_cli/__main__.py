"""``python -m learner_cli``: check and submit exercises from your own editor.

    python -m learner_cli login [--token TOKEN] [--server URL]   # check the token, store it (0600)
    echo "$TOKEN" | python -m learner_cli login                  # a piped token (stdin not a terminal)
    python -m learner_cli check EXERCISE FILE                    # public tests on this machine
    python -m learner_cli submit EXERCISE FILE [--mode run|submit]
    python -m learner_cli logout

Exit status: 0 when the tests passed, 1 when they did not, 2 for usage, connection or
token problems (with a message saying what to do).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from verdicts.table import render_text
from learner_cli import credentials
from learner_cli.client import ApiClient, CliError, check_server_url
from learner_cli.local_check import check_locally

EXIT_PASSED, EXIT_FAILED, EXIT_TROUBLE = 0, 1, 2
POLL_INTERVAL_S = 0.5
NO_TOKEN = ("No token. Create one on the course's My progress page (Command-line access), then run "
            "`python -m learner_cli login`, or set COURSE_TOKEN, or pass --token.")


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_TROUBLE


def _login(args: argparse.Namespace) -> int:
    server = check_server_url(credentials.resolve_server(args.server))
    token = args.token or os.environ.get("COURSE_TOKEN") or _ask_token()
    me = ApiClient(server, token).get("/api/v1/me")
    path = credentials.save(server, token)
    print(f"Logged in to {server} as {me.get('username')}; token stored in {path} (readable by you only).")
    return EXIT_PASSED


def _ask_token() -> str:
    """The token typed at a hidden prompt, or piped in (``pass show course | python -m learner_cli login``):
    when stdin is not a terminal its first line is the token."""
    if sys.stdin is None:
        raise CliError(NO_TOKEN)
    if sys.stdin.isatty():
        token = getpass.getpass("Token (from My progress → Command-line access): ").strip()
    else:
        token = sys.stdin.readline(4096).strip()
    if not token:
        raise CliError(NO_TOKEN)
    return token


def _logout(args: argparse.Namespace) -> int:
    if credentials.forget():
        print(f"Removed {credentials.credentials_path()}. Revoke the token on My progress if it may have leaked.")
    else:
        print("No stored token to remove.")
    return EXIT_PASSED


def _check(args: argparse.Namespace) -> int:
    code = _read_code(args.file)
    bundle = _client(args).get(f"/api/v1/exercises/{_exercise_id(args.exercise)}/public")
    timeout_s = args.timeout or max(60.0, 3 * float(bundle.get("time_s") or 30))
    print(f"Running the public tests of {bundle.get('title', args.exercise)} on this machine…", file=sys.stderr)
    return _report(check_locally(bundle, code, python=args.python, timeout_s=timeout_s, shown_as=args.file))


def _submit(args: argparse.Namespace) -> int:
    client = _client(args)
    code = _read_code(args.file)
    receipt = client.post("/api/v1/submissions",
                          {"exercise_id": _exercise_id(args.exercise), "code": code, "mode": args.mode})
    submission_id = receipt["submission_id"]
    print(f"Sent as submission {submission_id} ({args.mode}); waiting for the verdict…", file=sys.stderr)
    deadline = time.monotonic() + args.wait
    while True:
        view = client.get(f"/api/v1/submissions/{submission_id}")
        if view.get("final"):
            return _report(view)
        if time.monotonic() > deadline:
            raise CliError(f"Submission {submission_id} is still {view.get('status')} after {args.wait:g} s; "
                           "its verdict will be on the exercise page (or pass a longer --wait).")
        time.sleep(POLL_INTERVAL_S)


def _report(view: dict[str, Any]) -> int:
    sys.stdout.write(render_text(view))
    return EXIT_PASSED if view.get("status") == "passed" else EXIT_FAILED


def _client(args: argparse.Namespace) -> ApiClient:
    token = credentials.resolve_token(args.token)
    if not token:
        raise CliError(NO_TOKEN)
    return ApiClient(credentials.resolve_server(args.server), token)


def _read_code(file: str) -> str:
    path = Path(file)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"There is no file {file}.") from None
    except OSError as exc:
        raise CliError(f"Cannot read {file} ({exc.strerror}).") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{file} is not UTF-8 text; save it as UTF-8 in your editor and try again.") from None


def _exercise_id(exercise: str) -> str:
    if not exercise or "/" in exercise or exercise.startswith("."):
        raise CliError(f"{exercise!r} is not an exercise id; use the id in the exercise page's address, "
                       "e.g. stable-softmax.")
    return quote(exercise, safe="")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m learner_cli",
                                     description="Check and submit course exercises from your own editor.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--server", help="the course API's address (default: COURSE_SERVER, the one saved "
                                             f"at login, or {credentials.DEFAULT_SERVER})")
    connection.add_argument("--token", help="a personal token (default: COURSE_TOKEN or the one saved at login)")

    login = commands.add_parser("login", parents=[connection], help="check a token and store it for later commands")
    login.set_defaults(command=_login)
    logout = commands.add_parser("logout", help="delete the stored token")
    logout.set_defaults(command=_logout)

    check = commands.add_parser("check", parents=[connection], help="run the public tests on this machine")
    check.add_argument("exercise", help="exercise id, as in the page's address (e.g. stable-softmax)")
    check.add_argument("file", help="your solution (a .py file)")
    check.add_argument("--python", default=sys.executable,
                       help="the Python (with pytest and torch) that runs the tests (default: this one)")
    check.add_argument("--timeout", type=float, help="seconds before the run is stopped "
                                                     "(default: three times the exercise's limit, at least 60)")
    check.set_defaults(command=_check)

    submit = commands.add_parser("submit", parents=[connection], help="grade on the server, as the page does")
    submit.add_argument("exercise", help="exercise id, as in the page's address (e.g. stable-softmax)")
    submit.add_argument("file", help="your solution (a .py file)")
    submit.add_argument("--mode", choices=("run", "submit"), default="submit",
                        help="run: public tests only; submit: every test, counts as an attempt (default)")
    submit.add_argument("--wait", type=float, default=600, help="seconds to wait for the verdict (default 600)")
    submit.set_defaults(command=_submit)
    return parser


if __name__ == "__main__":
    sys.exit(main())
