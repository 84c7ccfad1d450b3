"""Where the client finds the server and the learner's token.

Token: ``--token``, else ``COURSE_TOKEN``, else the file ``login`` wrote
(``$XDG_CONFIG_HOME/dl-course/credentials.json``, ``~/.config/...`` by default, mode 0600).
Server: ``--server``, else ``COURSE_SERVER``, else the server saved at ``login``, else
``http://127.0.0.1:8501``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_SERVER = "http://127.0.0.1:8501"


def credentials_path() -> Path:
    """The file ``login`` writes."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dl-course" / "credentials.json"


def saved() -> dict[str, str]:
    """What ``login`` stored ({} when nothing or an unreadable file)."""
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def resolve_server(option: str | None) -> str:
    """The server address to use."""
    return option or os.environ.get("COURSE_SERVER") or saved().get("server") or DEFAULT_SERVER


def resolve_token(option: str | None) -> str | None:
    """The token to use, or None when none is given anywhere."""
    return option or os.environ.get("COURSE_TOKEN") or saved().get("token")


def save(server: str, token: str) -> Path:
    """Store server and token readable by this user only (folder 0700, file 0600); returns the path."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    partial = path.with_suffix(".partial")
    # Created 0600 from the start, so the token is never readable by others, even briefly.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"server": server, "token": token}, out)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return path


def forget() -> bool:
    """Delete the stored credentials; False when there were none."""
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    return True
