"""A small stand-in recipe for the registry's tests (the real ones take minutes)."""
from __future__ import annotations

from pathlib import Path

import pytest

from courseware import pretrained


def counting_recipe(corpus: Path, out_dir: Path) -> dict:
    """Writes the corpus's line count and a nested file; deterministic."""
    lines = corpus.read_text(encoding="utf-8").count("\n")
    (out_dir / "counts.txt").write_text(f"{lines}\n")
    (out_dir / "nested").mkdir()
    (out_dir / "nested" / "weights.bin").write_bytes(bytes(range(256)) * 4)
    return {"lines": lines}


def failing_recipe(corpus: Path, out_dir: Path) -> dict:
    """Writes half an artefact, then fails."""
    (out_dir / "half.txt").write_text("half")
    raise RuntimeError("the recipe broke")


@pytest.fixture
def stand_in_artefacts(monkeypatch) -> dict[str, pretrained.Artefact]:
    """The registry replaced by two stand-ins: one that works, one that fails."""
    artefacts = {
        "counts": pretrained.Artefact("counts", "line counts", 1, "pretrained_fixtures:counting_recipe"),
        "broken": pretrained.Artefact("broken", "a recipe that fails", 1, "pretrained_fixtures:failing_recipe"),
    }
    monkeypatch.setattr(pretrained, "ARTEFACTS", artefacts)
    return artefacts


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n")
    return path
