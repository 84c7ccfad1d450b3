"""A judge and a learner's process joined by ``harness/bridge.py``, without the sandbox: the
learner's side is a forked child serving a ``submission.py`` written by the test."""
import os
import socket
import sys
import textwrap
from pathlib import Path

import pytest
import torch

HARNESS = Path(__file__).resolve().parents[1] / "harness"


@pytest.fixture
def bridged(tmp_path, monkeypatch):
    """Call ``bridged(source)``: returns the learner's module as the judge sees it (a proxy)."""
    children = []
    monkeypatch.syspath_prepend(str(HARNESS))
    import bridge

    def start(source: str):
        learner_dir = tmp_path / "learner"
        learner_dir.mkdir()
        (learner_dir / "submission.py").write_text(textwrap.dedent(source))
        judge_sock, learner_sock = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the learner's process
            try:
                judge_sock.close()
                sys.path.insert(0, str(learner_dir))
                bridge.serve(learner_sock.detach())
            finally:
                os._exit(0)
        learner_sock.close()
        children.append(pid)
        monkeypatch.setattr(bridge, "_JUDGE", bridge.Peer(judge_sock, "J"))
        monkeypatch.setattr(bridge, "_MODULE", None)
        monkeypatch.setattr(torch.Tensor, "register_hook", bridge._register_hook)
        monkeypatch.setenv(bridge.SOURCE_ENV, str(learner_dir / "submission.py"))
        return bridge.learner_module()

    yield start
    import bridge as b
    if b._JUDGE is not None:
        b._JUDGE.sock.close()
    for pid in children:
        os.waitpid(pid, 0)
