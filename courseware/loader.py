"""Load the content bank from files and validate it; every error names the file and the field.

    from courseware.loader import load_bank
    bank = load_bank(Path("."))        # reads lessons/ and exercises/ under that folder

Loading collects every problem before raising, so an author fixes a whole batch at once.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from courseware import prose
from courseware.pretrained import ARTEFACTS
from courseware.spec import (
    METRIC_NAME, RESOURCE_KINDS, ContentBank, ExerciseSpec, LeaderboardSpec, Lesson, Limits, Module, ModuleItem,
    QuizQuestion, Resource, Track,
)

from harness.contract import HIDDEN_TEST_FILE, PUBLIC_TEST_FILE, RESERVED_NAMES

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
KNOWN_DATASETS = ("tinyshakespeare", *ARTEFACTS)
CAUGHT_BY = re.compile(r"Caught by:\s*(.+)", re.IGNORECASE)
"""The line of a mutant's docstring that names the test(s) that should catch its mistake."""
EXERCISE_FILES = ("exercise.yaml", "prompt.md", "starter.py", "solution.py",
                  "tests/test_public.py", "tests/test_hidden.py")


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong with one file."""

    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}" + (f" [{self.field}]" if self.field else "")
        return f"{where}: {self.message}"


class ContentError(ValueError):
    """The content tree has problems; ``problems`` lists each with its file and field."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("content has %d problem(s):\n%s" % (len(problems), "\n".join(f"  - {p}" for p in problems)))


class _Collector:
    """Gathers problems while the loader keeps going."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[ContentProblem] = []

    def add(self, path: Path, field: str, message: str) -> None:
        try:
            shown = path.relative_to(self.root)
        except ValueError:
            shown = path
        self.problems.append(ContentProblem(shown, field, message))

    def require(self, data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path,
                prefix: str = "", default: Any = ...) -> Any:
        """Return ``data[key]`` if it has the right type, else record a problem and return None."""
        field = f"{prefix}{key}"
        if key not in data or data[key] is None:
            if default is not ...:
                return default
            self.add(path, field, "is missing")
            return None
        value = data[key]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.add(path, field, f"must be {names}, got {type(value).__name__} {value!r:.40}")
            return None
        return value

    def check_id(self, value: Any, path: Path, field: str = "id") -> bool:
        if isinstance(value, str) and ID_PATTERN.match(value):
            return True
        self.add(path, field, f"{value!r} is not a valid id: use lowercase letters, digits and '-'")
        return False


def _read_yaml(path: Path, c: _Collector) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        c.add(path, "", f"is not valid YAML: {exc}".splitlines()[0])
        return None
    if not isinstance(data, dict):
        c.add(path, "", "must be a YAML mapping (key: value lines)")
        return None
    return data


def split_front_matter(text: str) -> tuple[str, str] | None:
    """Split ``---\\nyaml\\n---\\nbody`` into (yaml, body); None when there is no front matter."""
    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)$", text, re.S)
    return (match.group(1), match.group(2)) if match else None


def load_lesson(path: Path, c: _Collector) -> Lesson | None:
    """Parse one lesson file; problems go to the collector."""
    text = path.read_text(encoding="utf-8")
    parts = split_front_matter(text)
    if parts is None:
        c.add(path, "front matter", "must start with a '---' block holding id, title, minutes, objectives")
        return None
    try:
        meta = yaml.safe_load(parts[0]) or {}
    except yaml.YAMLError as exc:
        c.add(path, "front matter", f"is not valid YAML: {exc}".splitlines()[0])
        return None
    if not isinstance(meta, dict):
        c.add(path, "front matter", "must be a YAML mapping")
        return None
    lesson_id = c.require(meta, "id", str, path)
    title = c.require(meta, "title", str, path)
    minutes = c.require(meta, "minutes", int, path)
    objectives = c.require(meta, "objectives", list, path, default=[])
    if lesson_id is not None and c.check_id(lesson_id, path) and lesson_id != path.stem:
        c.add(path, "id", f"{lesson_id!r} must match the file name {path.stem!r}")
    if not parts[1].strip():
        c.add(path, "body", "is empty; write the lesson below the front matter")
    quiz = _load_quiz(meta.get("quiz") or [], path, c)
    _check_wording(parts[0], 1, path, "lesson", c)  # objectives and quiz
    _check_wording(parts[1], text[:len(text) - len(parts[1])].count("\n"), path, "lesson", c)
    if None in (lesson_id, title, minutes, quiz):
        return None
    return Lesson(lesson_id, title, minutes, tuple(str(o) for o in objectives), parts[1], path, quiz)


def _check_wording(text: str, first_line: int, path: Path, what: str, c: _Collector) -> None:
    """Shared text (a lesson body, an exercise prompt) must not place itself in an order
    ("the next lesson"): see courseware.prose. ``first_line`` is the file line before the text."""
    for slip in prose.relative_order_phrases(text):
        c.add(path, f"line {first_line + slip.line}", prose.slip_message(slip, what))
    for bad in prose.malformed_references(text):
        c.add(path, "reference", f"{bad!r} is not a reference: write [[lesson:<id>]] or [[exercise:<id>]]")


def _check_references(bank: ContentBank, c: _Collector) -> None:
    """Every [[lesson:id]] / [[exercise:id]] in lessons and exercise prompts names an item that exists;
    exercise prompts follow the same wording rule as lessons."""
    texts = [(lesson.path, lesson.body) for lesson in bank.lessons.values()]
    for spec in bank.exercises.values():
        _check_wording(spec.prompt, 0, spec.path / "prompt.md", "exercise prompt", c)
        texts.append((spec.path / "prompt.md", spec.prompt))
    for path, text in texts:
        for kind, item_id in prose.references(text):
            if item_id not in (bank.lessons if kind == "lesson" else bank.exercises):
                c.add(path, "reference", f"[[{kind}:{item_id}]] names no {kind}; use the id of an existing "
                                         f"{kind} (its {'file' if kind == 'lesson' else 'folder'} name)")


def _load_quiz(raw: object, path: Path, c: _Collector) -> tuple[QuizQuestion, ...] | None:
    """Parse ``quiz:`` front matter: a list of {question, options, answer, explanation}."""
    if not isinstance(raw, list):
        c.add(path, "quiz", "must be a list of {question, options, answer, explanation}")
        return None
    questions = []
    for i, item in enumerate(raw):
        field = f"quiz[{i}]."
        if not isinstance(item, dict):
            c.add(path, f"quiz[{i}]", "must be a mapping with question, options, answer")
            return None
        question = c.require(item, "question", str, path, field)
        options = c.require(item, "options", list, path, field)
        answer = c.require(item, "answer", int, path, field)
        explanation = c.require(item, "explanation", str, path, field, default="")
        if None in (question, options, answer):
            return None
        if len(options) < 2 or not 0 <= answer < len(options):
            c.add(path, f"{field}answer", f"{answer} must index one of the {len(options)} options (from 0)")
            return None
        questions.append(QuizQuestion(question, tuple(str(o) for o in options), answer, explanation))
    return tuple(questions)


def load_exercise(folder: Path, c: _Collector) -> ExerciseSpec | None:
    """Parse one exercise folder; problems go to the collector."""
    missing = [name for name in EXERCISE_FILES if not (folder / name).is_file()]
    for name in missing:
        c.add(folder / name, "", "is missing (every exercise folder needs it)")
    if "exercise.yaml" in missing:
        return None
    path = folder / "exercise.yaml"
    data = _read_yaml(path, c)
    if data is None:
        return None
    ex_id = c.require(data, "id", str, path)
    if ex_id is not None and c.check_id(ex_id, path) and ex_id != folder.name:
        c.add(path, "id", f"{ex_id!r} must match the folder name {folder.name!r}")
    title = c.require(data, "title", str, path)
    points = c.require(data, "points", int, path, default=10)
    difficulty = c.require(data, "difficulty", str, path, default="medium")
    if difficulty not in (None, "easy", "medium", "hard"):
        c.add(path, "difficulty", f"{difficulty!r}: use easy, medium or hard")
    device = c.require(data, "device", str, path, default="cpu")
    if device not in (None, "cpu", "gpu-preferred", "gpu"):
        c.add(path, "device", f"{device!r}: use cpu, gpu-preferred or gpu")
    hints = c.require(data, "hints", list, path, default=[])
    reveal = c.require(data, "reveal_solution", bool, path, default=False)
    limits = _load_limits(data.get("limits") or {}, path, c)
    datasets = c.require(data, "datasets", list, path, default=[])
    for name in datasets or []:
        if name not in KNOWN_DATASETS:
            c.add(path, "datasets", f"{name!r} is not a known dataset ({', '.join(KNOWN_DATASETS)})")
    if points is not None and points <= 0:
        c.add(path, "points", "must be positive")
    playground = _load_playground(data.get("playground"), folder, path, c)
    leaderboard = _load_leaderboard(data.get("leaderboard"), path, c)
    rules = c.require(data, "rules", list, path, default=[])
    if missing or datasets is None or rules is None \
            or None in (ex_id, title, points, difficulty, device, hints, reveal, limits) \
            or playground is False or leaderboard is False:
        return None
    test_names = _test_names(folder / "tests" / "test_public.py") | _test_names(folder / "tests" / "test_hidden.py")
    for name in rules:
        if name not in test_names:
            c.add(path, "rules", f"{name!r} is not a test function in tests/test_public.py or tests/test_hidden.py")
    _check_examples(folder, "mutants", test_names, c)
    _check_examples(folder, "variants", test_names, c)
    for name in ("starter.py", "solution.py", "tests/test_public.py", "tests/test_hidden.py"):
        _check_python(folder / name, c)
    for support in sorted((folder / "tests").glob("*.py")):
        if support.name in RESERVED_NAMES:
            c.add(support, "", f"{support.name} is a name the grader uses; rename this helper module")
        elif not support.name.startswith("test_"):
            _check_python(support, c)
    return ExerciseSpec(
        id=ex_id, title=title, points=points, difficulty=difficulty, limits=limits, device=device,
        hints=tuple(str(h) for h in hints), reveal_solution=reveal,
        prompt=(folder / "prompt.md").read_text(encoding="utf-8"),
        starter=(folder / "starter.py").read_text(encoding="utf-8"), path=folder,
        datasets=tuple(datasets), playground=playground, leaderboard=leaderboard,
        rules=tuple(str(r) for r in rules),
    )


def _test_names(path: Path) -> set[str]:
    """The ``test_*`` functions a test file defines (empty when it does not parse)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name.startswith("test_")}


def mutant_catchers(path: Path) -> tuple[str, ...]:
    """The tests a mutant's docstring says should catch it (``Caught by: test_a, test_b``)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError, ValueError):
        return ()
    found = CAUGHT_BY.search(doc)
    return tuple(re.findall(r"test_\w+", found.group(1))) if found else ()


def _check_examples(folder: Path, kind: str, test_names: set[str], c: _Collector) -> None:
    """Mutants and variants parse and say what they are; a mutant names the test that should catch it."""
    for path in sorted((folder / kind).glob("*.py")):
        _check_python(path, c)
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        except (SyntaxError, ValueError):
            continue
        if not doc:
            c.add(path, "", f"needs a module docstring saying what makes this {kind[:-1]} "
                            + ("wrong and which test catches it (Caught by: test_...)" if kind == "mutants"
                               else "unusual yet correct"))
            continue
        if kind == "mutants":
            catchers = mutant_catchers(path)
            if not catchers:
                c.add(path, "", "the docstring must name the test that should catch this mistake, "
                                "in a line like 'Caught by: test_name'")
            for name in catchers:
                if name not in test_names:
                    c.add(path, "Caught by", f"{name!r} is not a test in tests/test_public.py or tests/test_hidden.py")


def _load_playground(value: Any, folder: Path, path: Path, c: _Collector) -> Path | None | bool:
    """The ``playground`` test file (a path like ``tests/playground.py``); None when not declared,
    False after recording a problem."""
    if value is None:
        return None
    hint = "must name a test file directly in tests/, like tests/playground.py"
    if not isinstance(value, str) or not re.fullmatch(r"tests/[A-Za-z0-9_]+\.py", value):
        c.add(path, "playground", f"{value!r} {hint}")
        return False
    file = folder / value
    name = file.name
    if name in (PUBLIC_TEST_FILE, HIDDEN_TEST_FILE) or name in RESERVED_NAMES:
        c.add(path, "playground", f"{value!r} is a name the grader uses; give the playground a file of its own")
        return False
    if not file.is_file():
        c.add(path, "playground", f"{value!r} does not exist; write it or remove the field")
        return False
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except SyntaxError as exc:
        c.add(file, f"line {exc.lineno}", f"syntax error: {exc.msg}")
        return False
    if not any(isinstance(n, ast.FunctionDef) and n.name.startswith("test") for n in tree.body):
        c.add(file, "", "defines no test function (def test_...); the playground runs its tests")
        return False
    return file


LEADERBOARD_FIELDS = ("metric", "lower_is_better", "time_metric", "profile_metric", "profiles")


def _load_leaderboard(raw: Any, path: Path, c: _Collector) -> LeaderboardSpec | None | bool:
    """The ``leaderboard`` mapping; None when not declared, False after recording a problem."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        c.add(path, "leaderboard", "must be a mapping like {metric: val_loss, lower_is_better: true, "
                                   "time_metric: train_seconds}")
        return False
    ok = True
    for key in sorted(str(k) for k in raw if k not in LEADERBOARD_FIELDS):
        c.add(path, f"leaderboard.{key}", f"is not a leaderboard field ({', '.join(LEADERBOARD_FIELDS)})")
        ok = False
    names: dict[str, str | None] = {}
    for key in ("metric", "time_metric", "profile_metric"):
        value = raw.get(key)
        if value is None and key == "metric":
            c.add(path, "leaderboard.metric", "is missing: name the metric the tests publish with "
                                              "artifacts().metric(name, value)")
            ok = False
        elif value is not None and not (isinstance(value, str) and METRIC_NAME.fullmatch(value)):
            c.add(path, f"leaderboard.{key}", f"{value!r} is not a metric name: use 1 to 64 lowercase "
                                              "letters and underscores, as the tests publish it")
            ok = False
        elif value is not None and value in names.values():
            c.add(path, f"leaderboard.{key}", f"{value!r} is already used by another leaderboard field")
            ok = False
        names[key] = value
    lower = raw.get("lower_is_better", True)
    if not isinstance(lower, bool):
        c.add(path, "leaderboard.lower_is_better", f"{lower!r} must be true (e.g. a loss) or false (e.g. accuracy)")
        ok = False
    profiles = raw.get("profiles") or {}
    if not isinstance(profiles, dict):
        c.add(path, "leaderboard.profiles", "must map values of profile_metric to board titles, like {0: CPU, 1: GPU}")
        return False
    if profiles and names.get("profile_metric") is None:
        c.add(path, "leaderboard.profiles", "needs profile_metric: the metric whose value picks a run's board")
        ok = False
    for value, title in profiles.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not isinstance(title, str) \
                or not title.strip():
            c.add(path, f"leaderboard.profiles.{value}", f"{value!r}: {title!r} must be a number and a board title, "
                                                         "like 0: CPU")
            ok = False
    if not ok:
        return False
    return LeaderboardSpec(metric=names["metric"], lower_is_better=lower, time_metric=names["time_metric"],
                           profile_metric=names["profile_metric"],
                           profiles=tuple(sorted((float(v), t.strip()) for v, t in profiles.items())))


def _load_limits(data: Any, path: Path, c: _Collector) -> Limits | None:
    if not isinstance(data, dict):
        c.add(path, "limits", "must be a mapping like {time_s: 30, memory_mb: 1536}")
        return None
    defaults = Limits()
    unknown = set(data) - {"time_s", "memory_mb", "processes", "output_kb"}
    for key in sorted(unknown):
        c.add(path, f"limits.{key}", "is not a known limit (time_s, memory_mb, processes, output_kb)")
    values = {}
    for key, low, high in (("time_s", 1, 3600), ("memory_mb", 128, 65536), ("processes", 1, 4096),
                           ("output_kb", 1, 65536)):
        value = data.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            c.add(path, f"limits.{key}", f"{value!r} must be a number from {low} to {high}")
            continue
        values[key] = value
    return None if unknown or len(values) < 4 else Limits(**values)


def _check_python(path: Path, c: _Collector) -> None:
    try:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    except SyntaxError as exc:
        c.add(path, f"line {exc.lineno}", f"syntax error: {exc.msg}")


def load_track(path: Path, c: _Collector) -> Track | None:
    """Parse one track file (ids are resolved later, against the whole bank)."""
    data = _read_yaml(path, c)
    if data is None:
        return None
    track_id = c.require(data, "id", str, path)
    if track_id is not None and c.check_id(track_id, path) and track_id != path.stem:
        c.add(path, "id", f"{track_id!r} must match the file name {path.stem!r}")
    title = c.require(data, "title", str, path)
    description = c.require(data, "description", str, path, default="")
    syllabus = c.require(data, "syllabus", str, path, default=None)
    if syllabus is not None and not SYLLABUS_NAME.fullmatch(syllabus):
        c.add(path, "syllabus", f"{syllabus!r} must be a file name in ../shared/syllabi, like 002_70a9e4b9c1423fa5.txt")
    covers = _load_covers(data.get("covers"), path, "covers", c)
    raw_modules = c.require(data, "modules", list, path)
    modules: list[Module] = []
    for i, raw in enumerate(raw_modules or []):
        module = _load_module(raw, path, f"modules[{i}].", c)
        if module:
            modules.append(module)
    ids = [m.id for m in modules]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        c.add(path, "modules", f"module id {dup!r} is used twice")
    if None in (track_id, title, raw_modules, covers) or len(modules) != len(raw_modules):
        return None
    return Track(track_id, title, description, tuple(modules), path, syllabus, covers)


def _load_module(raw: Any, path: Path, prefix: str, c: _Collector) -> Module | None:
    if not isinstance(raw, dict):
        c.add(path, prefix.rstrip("."), "must be a mapping with id, title, week, items")
        return None
    mod_id = c.require(raw, "id", str, path, prefix)
    if mod_id is not None:
        c.check_id(mod_id, path, prefix + "id")
    title = c.require(raw, "title", str, path, prefix)
    week = c.require(raw, "week", int, path, prefix, default=1)
    summary = c.require(raw, "summary", str, path, prefix, default="")
    raw_items = c.require(raw, "items", list, path, prefix)
    resources = _load_resources(raw.get("resources"), path, prefix, c)
    covers = _load_covers(raw.get("covers"), path, prefix + "covers", c)
    not_covered = _load_not_covered(raw.get("not_covered"), path, prefix + "not_covered", c)
    items: list[ModuleItem] = []
    for j, item in enumerate(raw_items or []):
        field = f"{prefix}items[{j}]"
        kinds = [k for k in ("lesson", "exercise") if isinstance(item, dict) and k in item]
        if len(kinds) != 1 or not isinstance(item[kinds[0]], str):
            c.add(path, field, "must be `lesson: <id>` or `exercise: <id>` (optionally with `coming: true`)")
            continue
        coming = item.get("coming", False)
        if not isinstance(coming, bool):
            c.add(path, field + ".coming", "must be true or false")
            continue
        for key in sorted(str(k) for k in item if k not in (kinds[0], "coming", "covers")):
            c.add(path, f"{field}.{key}", "is not an item field (lesson or exercise, coming, covers)")
        item_covers = _load_covers(item.get("covers"), path, field + ".covers", c)
        if item_covers is None:
            continue
        items.append(ModuleItem(kinds[0], item[kinds[0]], coming, item_covers))
    if None in (mod_id, title, week, raw_items, resources, covers, not_covered) or len(items) != len(raw_items):
        return None
    return Module(mod_id, title, week, summary, tuple(items), resources, covers, not_covered)


SYLLABUS_NAME = re.compile(r"[A-Za-z0-9_.-]+\.(txt|md)")
RESOURCE_FIELDS = ("title", "url", "kind", "required", "note", "covers")
URL = re.compile(r"https?://[^\s<>\"']+")
EMBEDDED_KINDS = ("video", "playlist items")


def _load_covers(raw: Any, path: Path, field: str, c: _Collector) -> tuple[str, ...] | None:
    """A ``covers:`` list of syllabus item ids (checked against the syllabus by ``courseware.coverage``)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        c.add(path, field, "must be a list of syllabus item ids, like [week-1-resources, python-in-1-hour] "
                           "(`python -m courseware coverage TRACK --verbose` lists them)")
        return None
    return tuple(x.strip() for x in raw)


def _load_not_covered(raw: Any, path: Path, field: str, c: _Collector) -> tuple[tuple[str, str], ...] | None:
    """``not_covered:`` maps a syllabus item id to why the platform cannot cover it."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                            for k, v in raw.items()):
        c.add(path, field, "must map syllabus item ids to a reason, like {join-ml-communities: "
                           "\"a community is joined outside the platform\"}")
        return None
    return tuple((k, v.strip()) for k, v in raw.items())


def _load_resources(raw: Any, path: Path, prefix: str, c: _Collector) -> tuple[Resource, ...] | None:
    """A module's ``resources:``: outside videos, courses, articles and books, each checked field by field."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add(path, prefix + "resources", "must be a list of {title, url, kind, required, note, covers}")
        return None
    out: list[Resource] = []
    ok = True
    for k, entry in enumerate(raw):
        field = f"{prefix}resources[{k}]"
        if not isinstance(entry, dict):
            c.add(path, field, "must be a mapping with title, url, kind, required, note, covers")
            ok = False
            continue
        problems = len(c.problems)
        for key in sorted(str(x) for x in entry if x not in RESOURCE_FIELDS):
            c.add(path, f"{field}.{key}", f"is not a resource field ({', '.join(RESOURCE_FIELDS)})")
        title = c.require(entry, "title", str, path, field + ".")
        if isinstance(title, str) and not title.strip():
            c.add(path, field + ".title", "is empty; copy the resource's title from the syllabus")
        kind = c.require(entry, "kind", str, path, field + ".")
        if kind is not None and kind not in RESOURCE_KINDS:
            c.add(path, field + ".kind", f"{kind!r} is not a resource kind ({', '.join(RESOURCE_KINDS)})")
        url = c.require(entry, "url", str, path, field + ".", default="")
        if url and not URL.fullmatch(url):
            c.add(path, field + ".url", f"{url!r} is not an http(s) address; copy it from the syllabus exactly")
        elif not url and kind in EMBEDDED_KINDS:
            c.add(path, field + ".url", f"a {kind} needs its address (from the syllabus)")
        required = c.require(entry, "required", bool, path, field + ".", default=True)
        note = c.require(entry, "note", str, path, field + ".", default="")
        covers = _load_covers(entry.get("covers"), path, field + ".covers", c)
        if len(c.problems) > problems:
            ok = False
            continue
        out.append(Resource(title.strip(), kind, url, required, note.strip(), covers))
    return tuple(out) if ok else None


def _resolve(bank: ContentBank, c: _Collector) -> None:
    for track in bank.tracks.values():
        for mi, module in enumerate(track.modules):
            for ii, item in enumerate(module.items):
                pool = bank.lessons if item.kind == "lesson" else bank.exercises
                if not item.coming and item.id not in pool:
                    c.add(track.path, f"modules[{mi}].items[{ii}]",
                          f"{item.kind} {item.id!r} does not exist; write it or mark the item `coming: true`")


def _unique(items: Iterable[Any], kind: str, c: _Collector) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.id in out:
            c.add(item.path, "id", f"{kind} id {item.id!r} is also used by {out[item.id].path}")
        else:
            out[item.id] = item
    return out


def load_bank(root: Path) -> ContentBank:
    """Load and cross-check every track, lesson and exercise under ``root``; raise ContentError."""
    c = _Collector(root)
    lessons_dir, exercises_dir = root / "lessons", root / "exercises"
    if not lessons_dir.is_dir() or not exercises_dir.is_dir():
        c.add(root, "", "must contain lessons/ and exercises/ folders (set COURSE_CONTENT_DIR)")
        raise ContentError(c.problems)
    lessons = [load_lesson(p, c) for p in sorted(lessons_dir.rglob("*.md")) if "tracks" not in p.parts]
    exercises = [load_exercise(p, c) for p in sorted(exercises_dir.iterdir())
                 if p.is_dir() and not p.name.startswith((".", "_"))]
    tracks = [load_track(p, c) for p in sorted((lessons_dir / "tracks").glob("*.yaml"))]
    if not tracks:
        c.add(lessons_dir / "tracks", "", "holds no track (*.yaml); add at least one")
    bank = ContentBank(
        tracks=_unique([t for t in tracks if t], "track", c),
        lessons=_unique([x for x in lessons if x], "lesson", c),
        exercises=_unique([x for x in exercises if x], "exercise", c),
    )
    _resolve(bank, c)
    _check_references(bank, c)
    if c.problems:
        raise ContentError(c.problems)
    return bank
