"""Shared fixtures: settings on a temp data folder, a temp content tree, a running platform."""
from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from courseware.corpus import corpus_file
from courseware.pretrained import models_dir
from config import PROJECT_ROOT, Settings

# `--database=postgresql`: the same tests on a throwaway PostgreSQL server (see postgres_server.py).
pytest_plugins = ["postgres_server", "redis_server", "engine_fixtures", "db_fixtures"]

SHARED_CORPUS = PROJECT_ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
# Apps, workers and CLIs the tests start (they inherit this environment) never start a build of the
# pre-trained models in their throwaway data folders; tests that use the models link the project's.
os.environ["MODELS_AUTOBUILD"] = "no"
# The repository's content, unless COURSE_CONTENT_DIR points the suite at another tree.
CONTENT = Path(os.environ.get("COURSE_CONTENT_DIR") or PROJECT_ROOT)


def make_settings(data_dir: Path, content_dir: Path = CONTENT, **env: str) -> Settings:
    """Settings for a test: its own data folder (SQLite file inside, or its own PostgreSQL
    database under ``--database=postgresql``), real sandbox."""
    from postgres_server import database_url_for  # after pytest loaded it as a plugin (assert rewriting)

    values = {"COURSE_DATA_DIR": str(data_dir), "COURSE_CONTENT_DIR": str(content_dir),
              "MODELS_AUTOBUILD": "no", **env}
    if "DATABASE_URL" not in values and (url := database_url_for(data_dir)):
        values["DATABASE_URL"] = url
    return Settings.from_env(values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh data folder, with the real content of this repository."""
    data = tmp_path / "data"
    installed = corpus_file(PROJECT_ROOT / "data")
    source = installed or (SHARED_CORPUS if SHARED_CORPUS.is_file() else None)
    if source is not None:
        (data / "corpus").mkdir(parents=True)
        shutil.copyfile(source, data / "corpus" / "tinyshakespeare.txt")
    if models_dir(PROJECT_ROOT / "data").is_dir():
        data.mkdir(parents=True, exist_ok=True)
        models_dir(data).symlink_to(models_dir(PROJECT_ROOT / "data").resolve(), target_is_directory=True)
    return make_settings(data)


@pytest.fixture
def ctx(settings: Settings):
    """A running platform (migrated SQLite file, content, worker pool); closed afterwards."""
    from portal.context import build_context

    context = build_context(settings)
    yield context
    context.close()


def write_exercise(root: Path, exercise_id: str = "double", *, solution: str = "def double(x):\n    return x * 2\n",
                   starter: str = "def double(x):\n    raise NotImplementedError\n",
                   yaml_extra: str = "") -> Path:
    """A tiny exercise folder in a temp content tree (its tests use the real harness)."""
    folder = root / "exercises" / exercise_id
    (folder / "tests").mkdir(parents=True)
    (folder / "exercise.yaml").write_text(textwrap.dedent(f"""\
        id: {exercise_id}
        title: Double a tensor
        points: 10
        difficulty: easy
        limits: {{time_s: 30, memory_mb: 1536}}
        hints: ["multiply by two"]
        reveal_solution: true
        """) + yaml_extra)
    (folder / "prompt.md").write_text("Write `double(x)`.\n")
    (folder / "starter.py").write_text(starter)
    (folder / "solution.py").write_text(solution)
    (folder / "tests" / "test_public.py").write_text(textwrap.dedent("""\
        import torch
        from course_harness import assert_tensor_close, get_function

        def test_doubles_a_vector(artifacts):
            double = get_function("double", "double(x)")
            assert_tensor_close(double(torch.ones(3)), torch.full((3,), 2.0), name="double(x)")
            artifacts.line("loss", [3.0, 2.0, 1.5])
        """))
    (folder / "tests" / "test_hidden.py").write_text(textwrap.dedent("""\
        import pytest
        import torch
        from course_harness import assert_tensor_close, get_function

        @pytest.mark.parametrize("rows", [1, 4])
        def test_doubles_a_matrix(rows):
            double = get_function("double", "double(x)")
            x = torch.randn(rows, 3)
            assert_tensor_close(double(x), x * 2, name="double(x)")
        """))
    return folder


def write_content(root: Path) -> Path:
    """A minimal valid content tree: one track, one lesson, one exercise."""
    write_exercise(root)
    (root / "lessons" / "basics").mkdir(parents=True)
    (root / "lessons" / "basics" / "doubling.md").write_text(
        "---\nid: doubling\ntitle: Doubling\nminutes: 3\nobjectives: [double things]\n---\n# Doubling\n$2x$\n")
    (root / "lessons" / "tracks").mkdir(parents=True)
    (root / "lessons" / "tracks" / "tiny.yaml").write_text(textwrap.dedent("""\
        id: tiny
        title: Tiny track
        description: A track for tests.
        modules:
          - id: week-1
            title: Week 1
            week: 1
            items:
              - lesson: doubling
              - exercise: double
              - exercise: not-written-yet
                coming: true
        """))
    return root


@pytest.fixture
def content_tree(tmp_path: Path) -> Path:
    """A minimal valid content tree on disk."""
    return write_content(tmp_path / "content")
