"""Pre-trained models and vectors the course builds itself, so that jobs need no network.

    python -m courseware models build [NAME…] [--force]   # build what is missing (or stale)
    python -m courseware models list                      # what is installed, with checksums

Each artefact is a folder ``<data>/models/<name>/`` made by a deterministic recipe from the tiny
Shakespeare corpus (fixed seeds, one thread), with a ``MANIFEST.json`` that records the recipe's
version, what the build measured (for example its final loss) and the SHA-256 of every file. The
sandbox mounts ``<data>/models`` read-only at ``/data/models``; an exercise names the artefacts it
reads under ``datasets:`` and its tests find them with ``course_harness.pretrained_path(name)``.

The recipes import torch and transformers, so they are named here as ``module:function`` and
imported only when a build runs: the web app imports this module and must stay light.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

MANIFEST = "MANIFEST.json"
FOLDER = "models"
LOCK = ".build.lock"
BUILD_LOG = "build.log"


class PretrainedError(RuntimeError):
    """An artefact could not be built, or what is installed is not what its manifest says."""


@dataclass(frozen=True)
class Artefact:
    """One thing the course pre-trains, and the recipe that makes it."""

    name: str
    """Its folder under ``<data>/models`` and the dataset name an exercise declares."""
    description: str
    version: int
    """Bumped whenever the recipe changes, so an older build counts as missing."""
    recipe: str
    """``module:function`` taking ``(corpus: Path, out_dir: Path)`` and returning facts to record."""

    def build_function(self) -> Callable[[Path, Path], dict]:
        """The recipe, imported now."""
        module, function = self.recipe.split(":")
        return getattr(importlib.import_module(module), function)


ARTEFACTS: dict[str, Artefact] = {a.name: a for a in (
    Artefact("tiny-gpt2", "a 2-layer GPT-2 (transformers) with its own byte-level BPE tokenizer, "
             "pre-trained on tiny Shakespeare", 1, "courseware.tiny_transformers:build_gpt2"),
    Artefact("tiny-bert", "a 2-layer BERT (transformers) with its own WordPiece tokenizer, pre-trained "
             "by masked language modelling on tiny Shakespeare", 2, "courseware.tiny_transformers:build_bert"),
    Artefact("word-vectors", "word vectors learned from the co-occurrences of tiny Shakespeare's words",
             1, "courseware.word_vectors:build"),
)}


def models_dir(data_dir: Path) -> Path:
    """Where the artefacts live (mounted read-only in the sandbox)."""
    return data_dir / FOLDER


def ensure_models_dir(data_dir: Path) -> Path:
    """The models folder, made (empty) when missing so that the sandbox can mount it before a build.

    Returned resolved: the sandbox binds the real folder, whatever links lead to it.
    """
    root = models_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    return root.resolve()


def read_manifest(folder: Path) -> dict | None:
    """The manifest of an artefact folder, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def installed(data_dir: Path, name: str) -> Path | None:
    """The artefact's folder when a build of the current recipe version is in place, else None."""
    folder = models_dir(data_dir) / name
    manifest = read_manifest(folder)
    if manifest is None or manifest.get("version") != ARTEFACTS[name].version:
        return None
    return folder


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file in ``folder`` but the manifest, by relative path."""
    return {str(p.relative_to(folder)): _digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def verify(data_dir: Path, name: str) -> list[str]:
    """What is wrong with the installed artefact (empty when its files match its manifest)."""
    folder = installed(data_dir, name)
    if folder is None:
        return [f"{name} is not built: run `python -m courseware models build {name}`"]
    recorded = read_manifest(folder)["files"]
    actual = checksums(folder)
    problems = [f"{name}/{f}: missing" for f in recorded if f not in actual]
    problems += [f"{name}/{f}: changed since the build" for f in recorded if f in actual and actual[f] != recorded[f]]
    problems += [f"{name}/{f}: not in the manifest" for f in actual if f not in recorded]
    return problems


def build(data_dir: Path, corpus: Path | None, names: list[str] | None = None, *, force: bool = False,
          log: Callable[[str], None] = print) -> dict[str, Path]:
    """Build the named artefacts (None: all) that are missing or stale; returns every folder.

    Each is built in a temporary folder beside its final place and renamed into it when complete,
    so a reader (a running job) never sees half an artefact.
    """
    unknown = [n for n in names or [] if n not in ARTEFACTS]
    if unknown:
        raise PretrainedError(f"no artefact {', '.join(unknown)} (known: {', '.join(ARTEFACTS)})")
    root = ensure_models_dir(data_dir)
    done: dict[str, Path] = {}
    with open(root / LOCK, "w") as lock:
        # One builder at a time per data folder (app replicas, validate, a shell): the others wait,
        # then find the artefact in place.
        fcntl.flock(lock, fcntl.LOCK_EX)
        for name in list(ARTEFACTS) if names is None else names:
            done[name] = _build_one(data_dir, root, name, corpus, force, log)
    return done


def missing(data_dir: Path, names: list[str] | None = None) -> list[str]:
    """The named artefacts (default: all) with no current build."""
    return [n for n in (list(ARTEFACTS) if names is None else names) if installed(data_dir, n) is None]


def start_background_build(data_dir: Path, corpus: Path | None) -> subprocess.Popen | None:
    """Build what is missing in a separate, low-priority process (the app's start-up must not wait
    minutes); its output goes to ``<data>/models/build.log``. None when nothing is missing or the
    corpus it needs is not installed."""
    if corpus is None or not missing(data_dir):
        return None
    root = ensure_models_dir(data_dir)
    env = {**os.environ, "COURSE_DATA_DIR": str(data_dir)}
    with open(root / BUILD_LOG, "ab") as out:
        return subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "courseware", "models", "build"],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)


def _build_one(data_dir: Path, root: Path, name: str, corpus: Path | None, force: bool,
               log: Callable[[str], None]) -> Path:
    artefact = ARTEFACTS[name]
    folder = installed(data_dir, name)
    if folder is not None and not force:
        return folder
    if corpus is None:
        raise PretrainedError(f"{name} is pre-trained on tiny Shakespeare, which is not installed: "
                              "run `python -m courseware corpus fetch` (or `corpus add FILE`) first")
    log(f"building {name}: {artefact.description} …")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}-"))
    try:
        facts = artefact.build_function()(corpus, work)
        manifest = {"name": name, "version": artefact.version, "description": artefact.description,
                    "facts": facts, "build_seconds": round(time.monotonic() - started, 1),
                    "files": checksums(work)}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for path in [work, *work.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)  # graders run as other users
        target = root / name
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log(f"built {name} in {manifest['build_seconds']} s: {json.dumps(facts)}")
    return target
