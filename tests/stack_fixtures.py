"""The whole stack of ``scripts/stack.sh`` (PostgreSQL, Redis, a Celery worker, app replicas, nginx),
started by the script itself on free loopback ports in a folder of its own, for ``tests/test_stack.py``.

    with running_stack(content_dir) as stack:
        stack.url                      # nginx, the one address a browser opens
        stack.cli("users", "add", …)   # `python -m portal …` against the stack's database
        stack.replica_pid("127.0.0.1:40123")

A fixture module, not a test module: the test module imports from here.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from ports import free_port

STACK_SCRIPT = PROJECT_ROOT / "scripts" / "stack.sh"
# Settings a developer's shell or the PostgreSQL pass may hold, which the stack sets itself.
_STACK_OWNS = ("DATABASE_URL", "COURSE_DATA_DIR", "CELERY_BROKER_URL", "CHECKER_BACKEND", "STACK_DIR",
               "REPLICAS", "APP_PORT", "APP_PORTS", "PROXY_PORT", "POSTGRES_PORT", "REDIS_PORT",
               "STACK_ADMIN", "STACK_ADMIN_PASSWORD")


class Stack:
    """A stack started by ``scripts/stack.sh up`` in ``folder``; its settings come from ``stack.env``."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.state: dict[str, str] = {}

    def script(self, command: str, timeout_s: float = 120) -> subprocess.CompletedProcess:
        """``scripts/stack.sh COMMAND`` with this stack's environment; output captured."""
        return subprocess.run([str(STACK_SCRIPT), command], env=self.env, cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=timeout_s)

    def read_state(self) -> dict[str, str]:
        """The settings the script recorded (shell-quoted KEY=value lines)."""
        self.state = {}
        for line in (self.folder / "stack.env").read_text().splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                self.state[key] = " ".join(shlex.split(value))
        return self.state

    @property
    def url(self) -> str:
        """The proxy's address."""
        return self.state["STACK_URL"]

    @property
    def app_ports(self) -> list[int]:
        """The replicas' ports, in the order the script numbered them (app-1, app-2, …)."""
        return [int(p) for p in self.state["APP_PORTS"].split()]

    def pid(self, name: str) -> int:
        """The pid the script recorded for ``name`` (``worker``, ``app-1``, ``nginx``, …)."""
        return int((self.folder / "run" / f"{name}.pid").read_text().split()[0])

    def replica_pid(self, address: str) -> int:
        """The pid of the replica nginx named in X-Upstream (``127.0.0.1:PORT``)."""
        port = int(address.rsplit(":", 1)[1])
        return self.pid(f"app-{self.app_ports.index(port) + 1}")

    def app_env(self) -> dict[str, str]:
        """The environment the stack's app and worker run with (database, broker, data, content)."""
        keys = ("DATABASE_URL", "CELERY_BROKER_URL", "CHECKER_BACKEND", "COURSE_DATA_DIR", "COURSE_CONTENT_DIR")
        return {**self.env, **{k: self.state[k] for k in keys}}

    def cli(self, *args: str) -> str:
        """``python -m portal ARGS`` against the stack's database; its output (fails the test if it fails)."""
        done = subprocess.run([sys.executable, "-m", "portal", *args], env=self.app_env(), cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"portal {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def logs(self) -> str:
        """The end of every log of the stack, for a failure message."""
        parts = []
        for log in sorted((self.folder / "logs").glob("*.log")):
            parts.append(f"--- {log.name}\n" + log.read_text(errors="replace")[-2000:])
        return "\n".join(parts)


def _distinct_free_ports(n: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


@contextlib.contextmanager
def running_stack(content_dir: Path, replicas: int = 2, **env: str) -> Iterator[Stack]:
    """``scripts/stack.sh up`` on free ports with this content; ``down`` and the folder deleted afterwards."""
    if not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is not installed: run `scripts/system-deps.sh test` (as root) or `apt-get install nginx`")
    # Not under pytest's tmp_path: as root, the cluster runs as the postgres account and nginx's
    # workers as www-data, and pytest's /tmp/pytest-of-root is closed to both.
    folder = Path(tempfile.mkdtemp(prefix="course-stack-"))
    folder.chmod(0o755)
    proxy, postgres, redis, *apps = _distinct_free_ports(3 + replicas)
    environ = {k: v for k, v in os.environ.items() if k not in _STACK_OWNS}
    environ.update({"STACK_DIR": str(folder), "REPLICAS": str(replicas), "APP_PORTS": " ".join(map(str, apps)),
                    "PROXY_PORT": str(proxy), "POSTGRES_PORT": str(postgres), "REDIS_PORT": str(redis),
                    "COURSE_CONTENT_DIR": str(content_dir), "CHECKER_GPU": "no", **env})
    stack = Stack(folder, environ)
    try:
        up = stack.script("up", timeout_s=420)
        assert up.returncode == 0, f"stack.sh up failed:\n{up.stdout}{up.stderr}\n{stack.logs()}"
        stack.read_state()
        yield stack
    except BaseException:
        print(stack.logs())  # pytest shows it with the failure
        raise
    finally:
        down = stack.script("down", timeout_s=180)
        shutil.rmtree(folder, ignore_errors=True)
    assert down.returncode == 0, f"stack.sh down failed:\n{down.stdout}{down.stderr}"
