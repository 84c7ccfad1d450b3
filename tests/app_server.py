"""The real app, started the way ``make run`` starts it (``streamlit run serve.py``), for browser tests."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from config import PROJECT_ROOT
from ports import free_port

ENTRY_POINT = PROJECT_ROOT / "serve.py"


@contextlib.contextmanager
def running_app(data_dir: Path, content_dir: Path, **env: str) -> Iterator[str]:
    """``streamlit run serve.py`` on a free loopback port with this data and content; yields its URL.
    The log goes to ``<data_dir>/streamlit.log`` (its tail is in the failure when it does not start)."""
    port = free_port()
    environ = {**os.environ, "COURSE_DATA_DIR": str(data_dir), "COURSE_CONTENT_DIR": str(content_dir), **env}
    data_dir.mkdir(parents=True, exist_ok=True)  # on PostgreSQL nothing else has made it
    log_path = data_dir / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ENTRY_POINT), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail("streamlit did not start: " + log_path.read_text(errors="replace")[-2000:])
            if proc.poll() is not None:
                pytest.fail("streamlit exited: " + log_path.read_text(errors="replace")[-2000:])
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
