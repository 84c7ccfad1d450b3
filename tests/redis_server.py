"""A throwaway Redis server on loopback for the Celery tests (one per test session) and benchmarks.

``scripts/system-deps.sh test`` installs Debian's redis-server; without it the fixture
fails with that instruction rather than skipping.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from ports import free_port

MISSING = ("redis-server is not installed: run `scripts/system-deps.sh test` (as root) or "
           "`sudo apt-get install redis-server`")


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    """Start redis-server without persistence on a free loopback port; returns it and its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(MISSING)
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes"],
                            stdout=open(folder / "redis.log", "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}"
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"redis-server did not start: {(folder / 'redis.log').read_text()[-500:]}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    """``redis://127.0.0.1:PORT`` of a fresh server; stopped after the session."""
    try:
        proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield url
    proc.terminate()
    proc.wait(timeout=10)
