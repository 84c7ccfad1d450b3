"""The grading engine tests share: the real warm engine (bubblewrap, zygotes, cgroups)."""
from __future__ import annotations

import sys
from typing import Callable, Iterator

import pytest

from sandbox.warm import WarmChecker


@pytest.fixture(scope="session")
def warm_engine() -> Iterator[WarmChecker]:
    """One warm engine with two slots for the whole session (starting one costs seconds)."""
    engine = WarmChecker(sys.executable, slots=2)
    yield engine
    engine.close()


@pytest.fixture
def new_warm_engine() -> Iterator[Callable[..., WarmChecker]]:
    """Build a warm engine of one's own (``new_warm_engine(slots=1, gpu=…)``) for a test that
    kills, pins or reconfigures it; closed after the test."""
    made: list[WarmChecker] = []

    def make(**options) -> WarmChecker:
        made.append(WarmChecker(sys.executable, **options))
        return made[-1]

    yield make
    for engine in made:
        engine.close()
