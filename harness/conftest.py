"""Harness conftest copied into every grading workspace.

It makes runs deterministic (seeded, one thread) and gives tests an ``artifacts`` fixture.
Under the grader the tests run in the judge, apart from the learner's code (see ``bridge``), so

- ``monkeypatch.setattr`` on a library module or class (``torch``, ``torch.nn.Linear``…) is
  applied in the learner's process too, where the learner's code will meet it; the replacement
  still runs here, in the judge;
- ``tmp_path`` is a folder the learner's code may write too (a checkpoint a test then loads).
"""
import os
import sys
from pathlib import Path

import pytest
import torch

import course_harness
from contract import ENV_BRIDGE_FD, ENV_SHARED_DIR, EXIT_LEARNER_GONE

torch.set_num_threads(1)
if os.environ.get(ENV_BRIDGE_FD):  # under the grader (the warm zygote did this already)
    import ctypes

    import bridge

    bridge.guard_judge_imports()
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: nothing unprivileged may trace the judge


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """If the learner's process ended while the tests needed it, the run ends with a code that says so."""
    judge = getattr(sys.modules.get("bridge"), "_JUDGE", None)
    if judge is not None and judge.closed:
        session.exitstatus = EXIT_LEARNER_GONE


@pytest.fixture(autouse=True)
def _seed():
    """Each test starts from the same random state, so results do not depend on test order."""
    torch.manual_seed(0)
    yield


@pytest.fixture
def artifacts():
    """Publish plots and text for the learner's page: ``artifacts.line("loss", values)``."""
    return course_harness.artifacts()


_NOTSET = object()


class _MirroredPatch(pytest.MonkeyPatch):
    """``monkeypatch`` whose ``setattr`` on a library module or class also reaches the learner's process."""

    def setattr(self, target, name=_NOTSET, value=_NOTSET, raising=True):
        import bridge

        if value is _NOTSET and isinstance(target, str):  # monkeypatch.setattr("torch.softmax", spy)
            module, _, attr = target.rpartition(".")
            super().setattr(target, name, raising=raising)
            target, name, value = _import(module), attr, name
        else:
            super().setattr(target, name, value, raising=raising)
        # Objects of the learner's code are patched there already (the proxy forwards setattr);
        # library modules and classes are patched in both processes.
        if bridge.active() and bridge.nameable(target):
            bridge.patch_learner(target, name, value)

    def undo(self):
        import bridge

        if bridge.active():
            bridge.unpatch_learner()
        super().undo()


def _import(dotted: str):
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


@pytest.fixture
def monkeypatch():
    """pytest's ``monkeypatch``, mirrored into the learner's process under the grader."""
    patch = _MirroredPatch()
    yield patch
    patch.undo()


@pytest.fixture
def tmp_path(request, tmp_path_factory):
    """A fresh folder per test; under the grader one the learner's code may write too."""
    shared = os.environ.get(ENV_SHARED_DIR)
    if not shared:
        return tmp_path_factory.mktemp(request.node.name[:30], numbered=True)
    path = Path(shared) / f"{len(os.listdir(shared)):03d}-{request.node.name[:40]}"
    path.mkdir()
    path.chmod(0o2770)  # group: the learner's (the shared folder is setgid)
    return path
