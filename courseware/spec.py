"""Typed specs for content: tracks (syllabi) made of modules that list lessons and exercises.

These are plain frozen dataclasses; ``courseware.loader`` builds them from files and
reports errors by file and field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Device = Literal["cpu", "gpu-preferred", "gpu"]
Difficulty = Literal["easy", "medium", "hard"]
ItemKind = Literal["lesson", "exercise"]
RESOURCE_KINDS = ("video", "playlist items", "article", "course", "book")
"""What an outside resource may be: ``video`` and ``playlist items`` are embedded on the track page."""
METRIC_NAME = re.compile(r"[a-z_]{1,64}")
"""What a metric a test publishes may be called (``artifacts().metric(name, value)``)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one grading run; enforced by the sandbox, not by the learner's code."""

    time_s: float = 30.0
    """Wall-clock limit for the whole pytest run, imports included."""
    memory_mb: int = 1536
    """Address-space limit for the test process."""
    processes: int = 64
    """Most processes/threads the run may hold at once."""
    output_kb: int = 1024
    """Captured stdout+stderr kept; the rest is cut."""


@dataclass(frozen=True)
class QuizQuestion:
    """One multiple-choice self-check question at the end of a lesson."""

    question: str
    options: tuple[str, ...]
    answer: int
    """Index into ``options`` of the right answer."""
    explanation: str = ""
    """Shown after answering: why the right answer is right."""


@dataclass(frozen=True)
class Lesson:
    """A Markdown lesson with YAML front matter (``lessons/<topic>/<id>.md``)."""

    id: str
    title: str
    minutes: int
    """Estimated reading time."""
    objectives: tuple[str, ...]
    body: str
    """Markdown with $LaTeX$, front matter removed."""
    path: Path
    quiz: tuple[QuizQuestion, ...] = ()
    """Self-check questions (for labs done on the learner's own machine rather than in the sandbox)."""


@dataclass(frozen=True)
class LeaderboardSpec:
    """A cohort leaderboard for an exercise whose tests publish a metric (``leaderboard:`` in exercise.yaml)."""

    metric: str
    """The metric learners are ranked by, e.g. ``val_loss``."""
    lower_is_better: bool = True
    time_metric: str | None = None
    """Seconds a run took (e.g. ``train_seconds``); the fastest passing run is the time to target."""
    profile_metric: str | None = None
    """Runs with different values of this metric (e.g. ``gpu_profile`` 0 or 1) are never ranked together."""
    profiles: tuple[tuple[float, str], ...] = ()
    """Board titles by value of ``profile_metric``, e.g. ((0.0, "CPU"), (1.0, "GPU"))."""

    def profile_label(self, value: float | None) -> str:
        """The title of the board for runs with this profile value ("" without a profile split)."""
        if self.profile_metric is None or value is None:
            return ""
        return dict(self.profiles).get(value, f"{self.profile_metric} = {value:g}")


@dataclass(frozen=True)
class ExerciseSpec:
    """An auto-checked exercise folder (``exercises/<id>/``)."""

    id: str
    title: str
    points: int
    difficulty: Difficulty
    limits: Limits
    device: Device
    hints: tuple[str, ...]
    """Tiered: shown one at a time, cheapest first."""
    reveal_solution: bool
    """Whether the reference may be shown after the learner has passed."""
    prompt: str
    """Markdown shown above the editor."""
    starter: str
    """What the editor opens with; must fail at least one test."""
    path: Path
    """The exercise folder; ``solution.py`` and ``tests/`` live here."""
    datasets: tuple[str, ...] = ()
    """Data the tests read when installed (``tinyshakespeare``): some fall back to a built-in text
    without it, others (training on the corpus) fail with a message saying how to install it."""
    leaderboard: LeaderboardSpec | None = None
    """Whether (and how) cohorts see a leaderboard of this exercise's measured metric."""
    playground: Path | None = None
    """A test file in ``tests/`` that trains the learner's code on a text of their own and shows
    what it learned ("Try it on your own text"); run only on request, never part of grading."""
    rules: tuple[str, ...] = ()
    """Names of the tests that enforce the exercise's rules (e.g. "no built-in softmax"): when one
    of them does not pass, the run scores 0 and the verdict leads with the broken rule."""

    @property
    def solution_path(self) -> Path:
        """The reference solution; never sent to the browser before it is earned."""
        return self.path / "solution.py"

    @property
    def public_tests(self) -> Path:
        """Tests run by *Run* and shown to the learner."""
        return self.path / "tests" / "test_public.py"

    @property
    def support_files(self) -> list[Path]:
        """Helper modules in ``tests/`` (not ``test_*.py``, not the playground) that the tests import.

        They travel with the tests on every run, *Run* included, so they hold shared oracles
        and data, never what only the hidden tests should know.
        """
        return sorted(p for p in (self.path / "tests").glob("*.py")
                      if not p.name.startswith("test_") and p != self.playground)

    @property
    def mutants(self) -> list[Path]:
        """Wrong solutions (the reference with one realistic mistake each) that must fail; their
        docstrings name the test that should catch the mistake (``Caught by: test_...``)."""
        return sorted((self.path / "mutants").glob("*.py"))

    @property
    def variants(self) -> list[Path]:
        """Correct but unusual solutions (einsum instead of matmul, another algorithm) that must pass."""
        return sorted((self.path / "variants").glob("*.py"))

    @property
    def hidden_tests(self) -> Path:
        """Tests run only by *Submit*; never shown."""
        return self.path / "tests" / "test_hidden.py"


@dataclass(frozen=True)
class ModuleItem:
    """One entry of a module: a lesson or an exercise, by id."""

    kind: ItemKind
    id: str
    coming: bool = False
    """Listed in the syllabus but not written yet; shown greyed out, not required to resolve."""
    covers: tuple[str, ...] = ()
    """Ids of the syllabus items this lesson or exercise teaches (``courseware.syllabus``)."""


@dataclass(frozen=True)
class Resource:
    """An outside resource a module points to (a video, a course, a book), as its syllabus names it.

    Title, address, video numbers and timestamps are facts copied from the syllabus, never made up:
    ``python -m courseware coverage`` and the tests check that every address is in the syllabus.
    """

    title: str
    kind: str
    """One of RESOURCE_KINDS."""
    url: str = ""
    """Empty where the syllabus names the resource without an address (a book)."""
    required: bool = True
    note: str = ""
    """Which part, in the syllabus's words: "videos 76–84", "stop at 42:13"."""
    covers: tuple[str, ...] = ()
    """Ids of the syllabus items this resource answers."""


@dataclass(frozen=True)
class Module:
    """A week or phase of a track."""

    id: str
    title: str
    week: int
    """1-based week in which the module opens for a cohort on weekly pacing."""
    summary: str
    items: tuple[ModuleItem, ...]
    resources: tuple[Resource, ...] = ()
    covers: tuple[str, ...] = ()
    """Syllabus items the module as a whole answers: its own heading, week or stage in the syllabus."""
    not_covered: tuple[tuple[str, str], ...] = ()
    """(syllabus item id, reason) for what the platform cannot do (e.g. join a community)."""


@dataclass(frozen=True)
class Track:
    """One syllabus: an ordered list of modules drawn from the shared bank."""

    id: str
    title: str
    description: str
    """Markdown introduction (the syllabus's own advice belongs here)."""
    modules: tuple[Module, ...]
    path: Path
    syllabus: str | None = None
    """The syllabus file this track follows (a name in ``../shared/syllabi``), if any."""
    covers: tuple[str, ...] = ()
    """Syllabus items the description answers (the syllabus's general advice)."""

    def exercise_ids(self) -> list[str]:
        """Ids of the exercises this track uses (written ones only), in order."""
        return [i.id for m in self.modules for i in m.items if i.kind == "exercise" and not i.coming]

    def lesson_ids(self) -> list[str]:
        """Ids of the lessons this track uses (written ones only), in order."""
        return [i.id for m in self.modules for i in m.items if i.kind == "lesson" and not i.coming]


@dataclass(frozen=True)
class ContentBank:
    """Everything loaded from ``lessons/`` and ``exercises/``."""

    tracks: dict[str, Track] = field(default_factory=dict)
    lessons: dict[str, Lesson] = field(default_factory=dict)
    exercises: dict[str, ExerciseSpec] = field(default_factory=dict)
