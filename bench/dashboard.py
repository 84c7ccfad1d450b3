"""A lead's cohort dashboard and gradebook CSV on a big cohort, in a real SQLite file.

    .venv/bin/python bench/dashboard.py                  # figures at the head schema
    .venv/bin/python bench/dashboard.py --before 0002    # the same data before/after later migrations
    .venv/bin/python bench/dashboard.py --explain        # + each statement's time and query plan
    # also: --learners 500 --small 25 --modules 12 --per-module 5 --attempts 20 --repeat 3 --keep PATH

Builds a throw-away database (migrated with ``db.migrate.upgrade``) and fills it with bulk
inserts (sqlite3 ``executemany``, one transaction): a big cohort of 500 learners and a small
one of 25, each learner making 20 submissions (Run and Submit mixed) to each of the 60
exercises of a synthetic track (12 modules × 5): 600,000 submissions for the big cohort.
Every submission has its test results (a Submit runs 3 public + 5 hidden tests, a Run the 3
public ones; failures carry a message and an error class); exercise_progress agrees with the
Submits (attempts, best score, first pass), lessons are marked read, modules have due dates
and late work its minutes late.

Then, as the big cohort's lead, it times ``cohort_dashboard`` and ``gradebook_csv``: the first
call on a fresh engine (cold: SQLite's page cache empty; the OS file cache is not dropped, so
a server just rebooted can be slower) and the best of ``--repeat`` further calls. Targets:
dashboard ≤ 1 s, CSV ≤ 2 s on 2 cores. Each time comes with the CPU time of the process (SQLite
runs in it) and the load average: on a busy machine wall time grows while CPU time does not.
``--explain`` prints the slowest SQL statements of each call, timed with their rows fetched,
and SQLite's query plans: the place to look when a target is missed. Exits 1 on a miss.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402
from sqlalchemy import event  # noqa: E402

from courseware.spec import ContentBank, ExerciseSpec, Limits, Module, ModuleItem, Track  # noqa: E402
from db.engine import make_engine, session_factory  # noqa: E402
from db.migrate import alembic_config, head_revision, upgrade  # noqa: E402
from portal.auth import CurrentUser  # noqa: E402
from portal.dashboard import cohort_dashboard  # noqa: E402
from portal.gradebook import gradebook_csv  # noqa: E402

DASHBOARD_TARGET_S = 1.0
CSV_TARGET_S = 2.0
TRACK_ID = "bench-track"
POINTS = 10
PUBLIC_TESTS = ("test_output_shape", "test_dtype_is_kept", "test_small_example")
HIDDEN_TESTS = ("test_hidden_huge_values", "test_hidden_masked_rows", "test_hidden_batched_input",
                "test_hidden_gradients_flow", "test_hidden_no_nan")
FAIL_CLASSES = ("shape", "dtype", "nan", "values")
"""Why a test fails; the class of a failed submission is that of its first failing test."""
ERROR_CLASSES = ("timeout", "memory", "import", "crash")
"""Why a submission is an error (no test results: the run never finished)."""
SUBMIT_SHARE = 0.6
"""Share of attempts that are Submit (the rest are Run, which leave progress alone)."""
CHUNK = 20_000
"""Submissions per executemany batch (with their test rows)."""
STORED = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy's DateTime stores a (UTC) value in SQLite; UTCDateTime reads it back as UTC."""


@dataclass
class Generated:
    """What ``generate`` wrote, for the timing and the report."""

    big_cohort_id: int
    lead: CurrentUser
    """The big cohort's lead, the viewer of both calls."""
    bank: ContentBank
    """The synthetic track and exercises the submissions refer to."""
    today: date
    """The day the dashboard is drawn for (every module is open and due by then)."""
    rows: dict[str, int] = field(default_factory=dict)
    """Table → rows inserted."""


def synthetic_bank(modules: int, per_module: int) -> ContentBank:
    """One weekly track of ``modules`` modules, each a lesson and ``per_module`` exercises."""
    exercises: dict[str, ExerciseSpec] = {}
    track_modules = []
    for m in range(1, modules + 1):
        items = [ModuleItem("lesson", f"lesson-{m:02d}")]
        for k in range(1, per_module + 1):
            eid = f"w{m:02d}-exercise-{k}"
            exercises[eid] = ExerciseSpec(
                id=eid, title=f"Week {m} · exercise {k}", points=POINTS, difficulty="medium", limits=Limits(),
                device="cpu", hints=(), reveal_solution=False, prompt="", starter="", path=Path("/nonexistent"))
            items.append(ModuleItem("exercise", eid))
        track_modules.append(Module(f"week-{m:02d}", f"Week {m}", m, "", tuple(items)))
    track = Track(TRACK_ID, "Benchmark track", "", tuple(track_modules), Path("/nonexistent"))
    return ContentBank(tracks={TRACK_ID: track}, exercises=exercises)


def _stamp(base: datetime, seconds: float) -> str:
    return (base + timedelta(seconds=seconds)).strftime(STORED)


def _code(exercise_id: str, attempt: int) -> str:
    # About 700 bytes, like a learner's function with a docstring and comments: submissions
    # rows must be as wide as real ones, or every scan of the table looks cheaper than it is.
    return (f'"""{exercise_id}: attempt {attempt}."""\nimport torch\n\n\n'
            "def solve(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:\n"
            '    """Scores (B, T, T) → probabilities along the last dimension, masked where mask is False."""\n'
            "    # subtract the row maximum so exp() never overflows\n"
            "    shifted = x - x.max(dim=-1, keepdim=True).values  # (B, T, T)\n"
            "    if mask is not None:\n"
            "        shifted = shifted.masked_fill(~mask, float('-inf'))\n"
            "    weights = shifted.exp()  # (B, T, T)\n"
            f"    total = weights.sum(dim=-1, keepdim=True).clamp_min({1e-12 * (attempt + 1):.1e})\n"
            "    out = weights / total\n"
            "    # a row that is fully masked has no probabilities: return zeros, not NaN\n"
            "    out = torch.where(torch.isfinite(out), out, torch.zeros_like(out))\n"
            "    return out\n" + "# " + "-" * 60 + f"\n# scratch notes, attempt {attempt}\n")


def _message(name: str, cls: str, attempt: int) -> str:
    return {
        "shape": f"{name}: output has shape (4, 8, 8), expected (4, 8) (attempt {attempt})",
        "dtype": f"{name}: output dtype is torch.float64, expected torch.float32 like the input",
        "nan": f"{name}: output contains NaN at 3 of 64 positions (first at index (0, 2))",
        "values": f"{name}: values differ: max abs error {0.01 * (attempt + 1):.3f} > atol 1e-05 at index (1, 3)",
    }[cls]


def _learner_attempts(rng: random.Random, *, skill: float, difficulty: float, attempts: int) -> list[tuple]:
    """One learner's ``attempts`` tries at one exercise: (mode, status, failing tests, error class)."""
    p = max(0.02, min(0.9, 0.35 * skill * (1.2 - difficulty) + 0.02))
    passes_from = next((k for k in range(attempts) if rng.random() < p), attempts)  # may never pass
    weak = rng.sample(FAIL_CLASSES, 2)  # this learner's usual mistakes on this exercise
    out = []
    for k in range(attempts):
        mode = "submit" if rng.random() < SUBMIT_SHARE else "run"
        if k >= passes_from:
            out.append((mode, "passed", (), None))
        elif rng.random() < 0.06:
            out.append((mode, "error", (), rng.choice(ERROR_CLASSES)))
        else:
            tests = PUBLIC_TESTS + (HIDDEN_TESTS if mode == "submit" else ())
            # Public tests fail early on, hidden ones keep failing; at least one fails.
            failing = tuple((i, weak[0] if rng.random() < 0.7 else rng.choice(FAIL_CLASSES)) for i, t in enumerate(tests)
                            if rng.random() < (0.5 if t in HIDDEN_TESTS else 0.35 * (1 - k / attempts)))
            if not failing:
                failing = ((len(tests) - 1, weak[1]),)
            out.append((mode, "failed", failing, failing[0][1]))
    return out


def generate(path: Path, *, learners: int, small: int, modules: int, per_module: int, attempts: int,
             revision: str = "head", seed: int = 1, analyze: bool = False) -> Generated:
    """Create and fill the database at ``path``; returns the ids and the bank the timing needs."""
    migrate(f"sqlite:///{path}", revision)
    rng = random.Random(seed)
    bank = synthetic_bank(modules, per_module)
    track = bank.tracks[TRACK_ID]
    today = datetime.now(timezone.utc).date()
    start = today - timedelta(days=7 * modules + 10)  # every module open, the last one due
    base = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    db = sqlite3.connect(path, isolation_level=None)
    # A throw-away file, so no journal and no fsync while loading: in WAL mode one big
    # transaction would first be written to a 1 GB WAL, then copied into the database.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-400000")  # 400 MB, so index inserts stay in memory
    db.execute("BEGIN")
    rows: dict[str, int] = {}

    def insert(table: str, columns: str, values: list | Iterator) -> None:
        marks = ", ".join("?" * (columns.count(",") + 1))
        before = db.total_changes
        db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
        rows[table] = rows.get(table, 0) + db.total_changes - before

    created = base.strftime(STORED)
    people = [(1, "lead", "Lena Lead", "lead"), (2, "lead-small", "Sam Small", "lead")]
    people += [(3 + i, f"learner-{i:04d}", f"Learner {i:04d}", "learner") for i in range(learners + small)]
    insert("users", "id, username, display_name, password_hash, role, is_active, failed_logins, created_at",
           [(i, u, n, "bench:not-a-password-hash", r, 1, 0, created) for i, u, n, r in people])
    insert("cohorts", "id, name, track_id, start_date, pacing, created_at",
           [(1, "Big cohort", TRACK_ID, start.isoformat(), "weekly", created),
            (2, "Small cohort", TRACK_ID, start.isoformat(), "weekly", created)])
    learner_ids = [(3 + i, 1 if i < learners else 2) for i in range(learners + small)]
    insert("cohort_members", "cohort_id, user_id, role",
           [(1, 1, "lead"), (2, 2, "lead")] + [(c, u, "learner") for u, c in learner_ids])
    # Each module is due at the end of its week (the last second of day 7·w).
    due = {m.id: 86400 * 7 * m.week - 1 for m in track.modules}
    insert("deadlines", "cohort_id, item_id, due_at",
           [(c, m, _stamp(base, s)) for c in (1, 2) for m, s in due.items()])

    # Every attempt, as (seconds since start, user, exercise, attempt, mode, status, failing, error class).
    difficulty = {e: rng.random() ** 2 for e in bank.exercises}
    timeline: list[tuple] = []
    lessons: list[tuple] = []
    for user_id, _ in learner_ids:
        skill, lag = rng.random(), rng.choice((0, 0, 0, 1, 2, 5, 9)) * 86400  # some learners run late
        for module in track.modules:
            opens = 86400 * 7 * (module.week - 1) + lag + rng.uniform(0, 86400)
            if rng.random() < 0.85:
                lessons.append((user_id, module.items[0].id, _stamp(base, opens - 3600)))
            for e_index, item in enumerate(module.items[1:]):
                t = opens + e_index * 86400 * 0.8
                tries = _learner_attempts(rng, skill=skill, difficulty=difficulty[item.id], attempts=attempts)
                for k, (mode, status, failing, cls) in enumerate(tries):
                    t += rng.uniform(120, 5400)
                    timeline.append((t, user_id, item.id, k, mode, status, failing, cls, module.id))
    insert("lesson_progress", "user_id, lesson_id, completed_at", lessons)
    timeline.sort(key=lambda a: a[0])  # ids in time order, as a live platform hands them out

    progress: dict[tuple[int, str], list] = {}  # (user, exercise) → [attempts, best, passed_at, last]
    test_rows: list[tuple] = []
    sub_rows: list[tuple] = []
    for sub_id, (t, user_id, exercise_id, k, mode, status, failing, cls, module_id) in enumerate(timeline, 1):
        grade_s = rng.uniform(0.3, 4.0)
        created_at, started_at, finished_at = (_stamp(base, t), _stamp(base, t + 0.05),
                                              _stamp(base, t + grade_s))
        late = math.ceil((t - due[module_id]) / 60) if t > due[module_id] else None
        if status == "error":
            total = passed = 0
            score, reason = 0.0, f"The run was stopped: {cls} (attempt {k})."
            output = f"grading stopped: {cls}\n"
        else:
            tests = PUBLIC_TESTS + (HIDDEN_TESTS if mode == "submit" else ())
            failed = dict(failing)
            total, passed = len(tests), len(tests) - len(failed)
            score, reason = round(POINTS * passed / total, 4), None
            output = f"{passed} passed, {len(failed)} failed in {grade_s:.2f}s\n" + "".join(
                f"FAILED {tests[i]} - {_message(tests[i], c, k)}\n" for i, c in failed.items())
            for i, name in enumerate(tests):
                fail = failed.get(i)
                test_rows.append((sub_id, name, "hidden" if name in HIDDEN_TESTS else "public",
                                  "failed" if fail else "passed", _message(name, fail, k) if fail else "",
                                  round(grade_s / total, 4), fail))
        sub_rows.append((sub_id, user_id, exercise_id, mode, _code(exercise_id, k), status, reason, output, score,
                         passed, total, created_at, started_at, finished_at, late, cls))
        if mode == "submit":  # what store_result's _record_attempt keeps, at finish time
            p = progress.setdefault((user_id, exercise_id), [0, 0.0, None, None])
            p[0] += 1
            p[1] = max(p[1], score)
            if status == "passed" and p[2] is None:
                p[2] = finished_at
            p[3] = finished_at
        if len(sub_rows) >= CHUNK:
            _flush(insert, sub_rows, test_rows)
    _flush(insert, sub_rows, test_rows)
    insert("exercise_progress", "user_id, exercise_id, attempts, best_score, passed_at, last_submission_at",
           [(u, e, *p) for (u, e), p in progress.items()])
    db.execute("COMMIT")
    if analyze:  # the app never runs ANALYZE, so by default the planner works without statistics
        db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")  # as the app's engine leaves it
    db.close()
    lead = CurrentUser(1, "lead", "Lena Lead", "lead")
    return Generated(1, lead, bank, today, rows)


def _flush(insert: Callable[..., None], sub_rows: list, test_rows: list) -> None:
    insert("submissions", "id, user_id, exercise_id, mode, code, status, error_reason, output, score, "
                          "tests_passed, tests_total, created_at, started_at, finished_at, late_minutes, error_class",
           sub_rows)
    insert("test_results", "submission_id, name, visibility, outcome, message, duration_s, error_class", test_rows)
    sub_rows.clear()
    test_rows.clear()


@dataclass
class Timing:
    """Cold and warm times of one call."""

    cold: float
    """First call on a fresh engine (empty SQLite page cache), wall-clock seconds."""
    runs: list[tuple[float, float]]
    """The warm calls that followed: (wall, CPU) seconds."""
    cold_cpu: float
    """CPU seconds of this process during the cold call (SQLite runs in-process): on a busy
    machine the wall time also counts waiting for a core."""
    result: Any

    @property
    def best(self) -> float:
        return min(self.runs)[0]

    @property
    def best_cpu(self) -> float:
        return min(self.runs)[1]


def time_call(url: str, call: Callable[[Any], Any], repeat: int) -> Timing:
    """Time ``call(sessions)`` on a fresh engine: once cold, then ``repeat`` times warm."""
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        start, cpu = time.perf_counter(), time.process_time()
        result = call(sessions)
        cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
        runs = []
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            call(sessions)
            runs.append((time.perf_counter() - start, time.process_time() - cpu))
        return Timing(cold, runs, cold_cpu, result)
    finally:
        engine.dispose()


def explain(url: str, label: str, call: Callable[[Any], Any], top: int = 4) -> None:
    """Capture the statements ``call`` runs, time each (rows fetched) and print the slowest with plans."""
    engine = make_engine(url)
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine, "after_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    try:
        call(session_factory(engine))
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            timed = []
            for statement, parameters in seen:
                start = time.perf_counter()
                n = len(cursor.execute(statement, parameters).fetchall())
                timed.append((time.perf_counter() - start, n, statement, parameters))
            print(f"\n    {label}: {len(seen)} SELECTs, {sum(t[0] for t in timed) * 1000:.0f} ms in SQLite "
                  f"(rows fetched, no ORM); the {top} slowest:")
            for seconds, n, statement, parameters in sorted(timed, key=lambda t: -t[0])[:top]:
                one_line = " ".join(statement.split())
                print(f"    {seconds * 1000:7.1f} ms {n:7,d} rows  {one_line[:140]}{'…' if len(one_line) > 140 else ''}")
                for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall():
                    print(f"                            plan: {row[-1]}")
        finally:
            raw.close()
    finally:
        engine.dispose()


def _mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (``db.migrate.upgrade`` for head, as the app does)."""
    engine = make_engine(url)
    try:
        if revision == "head":
            upgrade(engine)
        else:
            with engine.begin() as connection:
                command.upgrade(alembic_config(connection=connection), revision)
    finally:
        engine.dispose()


def measure(url: str, gen: Generated, label: str, *, repeat: int, show_plans: bool) -> bool:
    """Time both calls on the schema the database is at now, print the figures; True if both pass."""
    dashboard = lambda sessions: cohort_dashboard(  # noqa: E731
        sessions, gen.bank, gen.lead, gen.big_cohort_id, today=gen.today)
    csv = lambda sessions: gradebook_csv(sessions, gen.bank, gen.lead, gen.big_cohort_id)  # noqa: E731
    load = os.getloadavg()[0]
    d = time_call(url, dashboard, repeat)
    c = time_call(url, csv, repeat)
    data, lines = d.result, c.result.decode("utf-8-sig").count("\r\n")
    worst = data.hardest[0]
    print(f"\n  {label} (load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)")
    print(f"    dashboard: {len(data.learners)} learners, {len(data.best):,} cells, {len(data.hardest)} hardest "
          f"(worst: {worst.title}, {worst.passed}/{worst.attempted} passed), {len(data.stuck)} stuck; "
          f"gradebook: {lines - 1} rows, {len(c.result) / 1024:,.0f} KiB")
    ok = True
    for name, t, target in (("cohort_dashboard", d, DASHBOARD_TARGET_S), ("gradebook_csv", c, CSV_TARGET_S)):
        passed = max(t.cold, t.best) <= target
        ok &= passed
        print(f"    {name:16s}  cold {t.cold:6.3f} s (cpu {t.cold_cpu:.3f})   best of {repeat} {t.best:6.3f} s "
              f"(cpu {t.best_cpu:.3f})   target ≤ {target:.0f} s: {'PASS' if passed else 'FAIL'}")
    if show_plans:
        explain(url, "cohort_dashboard", dashboard)
        explain(url, "gradebook_csv", csv)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500, help="learners in the big cohort (default 500)")
    parser.add_argument("--small", type=int, default=25, help="learners in the second cohort (default 25)")
    parser.add_argument("--modules", type=int, default=12, help="modules of the track (default 12)")
    parser.add_argument("--per-module", type=int, default=5, help="exercises per module (default 5)")
    parser.add_argument("--attempts", type=int, default=20, help="submissions per learner and exercise (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="warm calls after the cold one; best is kept")
    parser.add_argument("--before", metavar="REV", help="load at schema REV (e.g. 0002), time, upgrade to head, "
                                                        "time again: before/after figures on the same data")
    parser.add_argument("--explain", action="store_true", help="print the statements, their times and query plans")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE after loading (the app does not)")
    parser.add_argument("--keep", type=Path, help="write the database here (a new file) and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        path = args.keep.resolve() if args.keep else Path(tmp) / "course.db"
        if path.exists():
            parser.error(f"{path} exists; --keep writes a new file")
        url = f"sqlite:///{path}"
        exercises = args.modules * args.per_module
        print(f"dashboard benchmark: {args.learners} learners (+{args.small} in a second cohort) × {exercises} "
              f"exercises × {args.attempts} attempts, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores")
        start = time.perf_counter()
        gen = generate(path, learners=args.learners, small=args.small, modules=args.modules,
                       per_module=args.per_module, attempts=args.attempts, revision=args.before or "head",
                       analyze=args.analyze)
        generation = time.perf_counter() - start
        print(f"  generated in {generation:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in gen.rows.items()))
        print(f"  big cohort: {args.learners * exercises * args.attempts:,} submissions; "
              f"database {_mb(path):,.0f} MB ({path})")
        ok = True
        if args.before:
            ok = measure(url, gen, f"schema {args.before}", repeat=args.repeat, show_plans=args.explain)
            start = time.perf_counter()
            migrate(url)
            print(f"\n  upgraded {args.before} → {head_revision()} in {time.perf_counter() - start:.1f} s")
        ok = measure(url, gen, f"schema {head_revision()} (head)", repeat=args.repeat, show_plans=args.explain)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
