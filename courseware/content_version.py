"""The version of an exercise's grading content: what a verdict was graded against.

    version = content_version(spec)      # e.g. "3f9a0c41d2be": stored with every graded submission

It is a short hash of everything that decides a verdict: every file in ``exercises/<id>/tests/``
(public and hidden tests, support modules) by its path inside ``tests/`` and its bytes, the
limits, the points and the exercise's ``rules``. The prompt, hints, starter and solution are
not part of it: rewording a hint does not make anyone's verdict stale. Left out too are the
playground file (never part of Run's or Submit's grading), ``__pycache__`` and hidden files.

The value is deterministic across machines and clones: it depends on no modification time and
on no absolute path. Versions are cached per exercise and recomputed when a file's size or
modification time changes, so a page can ask for many of them cheaply.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from courseware.spec import ExerciseSpec

VERSION_CHARS = 12
"""Hex digits kept (48 bits): plenty to tell one exercise's versions apart."""


def _files(tests: Path, playground: Path | None) -> list[Path]:
    """The files of ``tests/`` that grading reads, sorted by their path inside ``tests/``."""
    if not tests.is_dir():
        return []
    found = []
    for path in tests.rglob("*"):
        relative = path.relative_to(tests)
        if any(part == "__pycache__" or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix != ".pyc" and path != playground:
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(tests).as_posix())


def content_version(spec: ExerciseSpec) -> str:
    """A short hex hash of the exercise's tests, support files, limits, points and rules."""
    tests = spec.path / "tests"
    files = _files(tests, spec.playground)
    stats = tuple((p.relative_to(tests).as_posix(), st.st_size, st.st_mtime_ns)
                  for p, st in ((p, p.stat()) for p in files))
    limits = spec.limits
    settings = json.dumps({
        "points": spec.points,
        "limits": {"time_s": float(limits.time_s), "memory_mb": limits.memory_mb,
                   "processes": limits.processes, "output_kb": limits.output_kb},
        # Order does not change what a rule does, so it does not change the version.
        "rules": sorted(getattr(spec, "rules", ()) or ()),
    }, sort_keys=True)
    return _version(str(tests), settings, stats)


@functools.lru_cache(maxsize=1024)
def _version(tests: str, settings: str, stats: tuple[tuple[str, int, int], ...]) -> str:
    # ``stats`` (sizes and mtimes) only key the cache; the hash reads names and bytes.
    digest = hashlib.sha256(b"course-content-version 1\n")
    digest.update(settings.encode("utf-8") + b"\n")
    for relative, _size, _mtime in stats:
        data = (Path(tests) / relative).read_bytes()
        digest.update(f"{relative}\0{len(data)}\0".encode("utf-8"))
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()[:VERSION_CHARS]
