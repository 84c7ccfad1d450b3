"""Cohort leaderboards: the exercise.yaml declaration, ranking on real rows, access, and the pages."""
from __future__ import annotations

import textwrap

import pytest

from courseware.loader import ContentError, load_bank
from config import PROJECT_ROOT
from courseware.spec import LeaderboardSpec
from db import submissions
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal.access import AccessDenied
from portal.leaderboard import (NoLeaderboard, Run, board_table, cohort_leaderboard, leaderboard_exercises,
                                member_cohorts, rank_runs)

from cohort_fixtures import seed
from admin_page_fixtures import tiny_app_env  # noqa: F401  (fixture: the app on the tiny content tree, cold grading)
from app_fixtures import log_in, table

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

BOARD_YAML = textwrap.dedent("""\
    leaderboard:
      metric: val_loss
      lower_is_better: true
      time_metric: train_seconds
      profile_metric: gpu_profile
      profiles: {0: CPU profile, 1: GPU profile}
    """)


def declare(content_tree, text: str = BOARD_YAML) -> None:
    """Give the tiny tree's exercise ``double`` a leaderboard declaration."""
    yaml_file = content_tree / "exercises" / "double" / "exercise.yaml"
    yaml_file.write_text(yaml_file.read_text() + text)


def problems(content_tree, text: str) -> list[str]:
    declare(content_tree, text)
    with pytest.raises(ContentError) as info:
        load_bank(content_tree)
    return [str(p) for p in info.value.problems]


def test_a_declared_leaderboard_is_loaded(content_tree):
    declare(content_tree)
    spec = load_bank(content_tree).exercises["double"].leaderboard
    assert spec == LeaderboardSpec("val_loss", True, "train_seconds", "gpu_profile",
                                   ((0.0, "CPU profile"), (1.0, "GPU profile")))
    assert spec.profile_label(1.0) == "GPU profile" and spec.profile_label(2.0) == "gpu_profile = 2"
    assert load_bank(PROJECT_ROOT).exercises["gpt-tiny-shakespeare"].leaderboard.metric == "val_loss"


def test_exercises_without_a_declaration_have_no_leaderboard(content_tree):
    assert load_bank(content_tree).exercises["double"].leaderboard is None


@pytest.mark.parametrize("text, expected", [
    ("leaderboard: val_loss\n", "exercise.yaml [leaderboard]: must be a mapping"),
    ("leaderboard: {lower_is_better: true}\n", "[leaderboard.metric]: is missing"),
    ("leaderboard: {metric: Val-Loss}\n", "[leaderboard.metric]: 'Val-Loss' is not a metric name"),
    ("leaderboard: {metric: val_loss, time_metric: 3}\n", "[leaderboard.time_metric]: 3 is not a metric name"),
    ("leaderboard: {metric: val_loss, time_metric: val_loss}\n",
     "[leaderboard.time_metric]: 'val_loss' is already used"),
    ("leaderboard: {metric: val_loss, lower_is_better: maybe}\n",
     "[leaderboard.lower_is_better]: 'maybe' must be true"),
    ("leaderboard: {metric: val_loss, profiles: {0: CPU}}\n", "[leaderboard.profiles]: needs profile_metric"),
    ("leaderboard: {metric: val_loss, profile_metric: gpu, profiles: [CPU, GPU]}\n",
     "[leaderboard.profiles]: must map values"),
    ("leaderboard: {metric: val_loss, profile_metric: gpu, profiles: {fast: GPU}}\n",
     "[leaderboard.profiles.fast]: 'fast': 'GPU' must be a number and a board title"),
    ("leaderboard: {metric: val_loss, rank_by: time}\n", "[leaderboard.rank_by]: is not a leaderboard field"),
])
def test_a_bad_declaration_names_the_file_and_field(content_tree, text, expected):
    found = problems(content_tree, text)
    assert any(expected in p and "double/exercise.yaml" in p for p in found), found


@pytest.fixture
def world(db_sessions):
    return seed(db_sessions)


@pytest.fixture
def bank(content_tree):
    declare(content_tree)
    return load_bank(content_tree)


def graded(sessions, user_id: int, status: str, mode: str = "submit", **metrics: float) -> int:
    """One graded run of ``double`` with the metrics its tests published, stored as a worker does."""
    with sessions() as session:
        sub = submissions.create_submission(session, user_id=user_id, exercise_id="double", mode=mode, code="x",
                                            queue="cpu")
        session.commit()
        submissions.claim_submission(session, sub.id)
        submissions.store_result(session, sub.id, status=status, score=10 if status == "passed" else 0,
                                 tests=[], artifacts=[], points_possible=10,
                                 metrics=[{"name": k, "value": v} for k, v in metrics.items()])
        return sub.id


def standings(board) -> list[tuple]:
    return [(r.rank, r.username, r.best, r.time_to_target_s, r.runs) for r in board.rows]


def test_learners_are_ranked_by_their_best_run_with_time_to_target_from_passing_runs(db_sessions, world, bank):
    cpu = {"gpu_profile": 0.0}
    graded(db_sessions, world.ada.id, "failed", val_loss=2.30, train_seconds=70.0, **cpu)
    graded(db_sessions, world.ada.id, "passed", val_loss=1.95, train_seconds=80.0, **cpu)
    graded(db_sessions, world.ada.id, "passed", val_loss=1.99, train_seconds=74.0, **cpu)  # faster, not best
    graded(db_sessions, world.bob.id, "failed", val_loss=2.10, train_seconds=60.0, **cpu)  # never passed
    # Not counted: a Run, an untrusted (error) run, a run without the metric, another cohort's learner.
    graded(db_sessions, world.bob.id, "passed", mode="run", val_loss=1.10, train_seconds=50.0, **cpu)
    graded(db_sessions, world.bob.id, "error", val_loss=1.20, train_seconds=50.0, **cpu)
    graded(db_sessions, world.cyd.id, "failed", train_seconds=50.0, **cpu)
    graded(db_sessions, world.dee.id, "passed", val_loss=1.00, train_seconds=50.0, **cpu)
    data = cohort_leaderboard(db_sessions, bank, world.lena, world.alpha, "double")
    assert data.cohort_name == "Alpha" and data.exercise_title == "Double a tensor"
    [board] = data.boards
    assert board.profile == "CPU profile"
    assert standings(board) == [(1, "ada", 1.95, 74.0, 3), (2, "bob", 2.10, None, 1)]
    assert board_table(board, data.spec, viewer_id=world.bob.id) == [
        {"rank": 1, "learner": "ada", "best val_loss": 1.95, "time to target (s)": 74.0, "runs": 3},
        {"rank": 2, "learner": "bob (you)", "best val_loss": 2.1, "time to target (s)": None, "runs": 1}]


def test_equal_values_share_a_rank_and_the_faster_learner_is_listed_first(db_sessions, world, bank):
    graded(db_sessions, world.ada.id, "passed", val_loss=1.90, train_seconds=75.0, gpu_profile=0.0)
    graded(db_sessions, world.bob.id, "passed", val_loss=1.90, train_seconds=71.0, gpu_profile=0.0)
    graded(db_sessions, world.cyd.id, "passed", val_loss=1.95, train_seconds=60.0, gpu_profile=0.0)
    [board] = cohort_leaderboard(db_sessions, bank, world.admin, world.alpha, "double").boards
    assert standings(board) == [(1, "bob", 1.90, 71.0, 1), (1, "ada", 1.90, 75.0, 1), (3, "cyd", 1.95, 60.0, 1)]


def test_cpu_and_gpu_runs_are_never_ranked_together(db_sessions, world, bank):
    graded(db_sessions, world.ada.id, "passed", val_loss=1.45, train_seconds=88.0, gpu_profile=1.0)
    graded(db_sessions, world.ada.id, "passed", val_loss=1.97, train_seconds=75.0, gpu_profile=0.0)
    graded(db_sessions, world.bob.id, "passed", val_loss=1.92, train_seconds=76.0, gpu_profile=0.0)
    graded(db_sessions, world.cyd.id, "passed", val_loss=1.30, train_seconds=76.0)  # profile unknown: left out
    cpu, gpu = cohort_leaderboard(db_sessions, bank, world.lena, world.alpha, "double").boards
    assert cpu.profile == "CPU profile" and gpu.profile == "GPU profile"
    assert standings(cpu) == [(1, "bob", 1.92, 76.0, 1), (2, "ada", 1.97, 75.0, 1)]
    assert standings(gpu) == [(1, "ada", 1.45, 88.0, 1)]


def test_a_cohort_with_no_published_results_has_no_boards(db_sessions, world, bank):
    assert cohort_leaderboard(db_sessions, bank, world.ada, world.alpha, "double").boards == ()


def test_higher_is_better_ranks_the_largest_value_first():
    spec = LeaderboardSpec("accuracy", lower_is_better=False)
    learners = {1: ("ada", "Ada"), 2: ("bob", "Bob")}
    runs = [Run(1, 1, True, {"accuracy": 0.91}), Run(2, 2, False, {"accuracy": 0.95}),
            Run(3, 1, False, {"accuracy": 0.97})]
    [board] = rank_runs(runs, spec, learners)
    assert board.profile == ""
    assert [(r.rank, r.username, r.best, r.time_to_target_s) for r in board.rows] == \
        [(1, "ada", 0.97, None), (2, "bob", 0.95, None)]


def test_who_may_see_which_board(db_sessions, world, bank):
    allowed = [(world.admin, world.alpha), (world.admin, world.beta), (world.lena, world.alpha),
               (world.otto, world.beta), (world.ada, world.alpha), (world.dee, world.beta)]
    refused = [(world.lena, world.beta), (world.otto, world.alpha), (world.ada, world.beta),
               (world.dee, world.alpha)]
    for viewer, cohort in allowed:
        assert cohort_leaderboard(db_sessions, bank, viewer, cohort, "double").cohort_id == cohort
    for viewer, cohort in refused:
        with pytest.raises(AccessDenied, match="your own cohorts"):
            cohort_leaderboard(db_sessions, bank, viewer, cohort, "double")
    assert member_cohorts(db_sessions, world.ada) == {world.alpha: "Alpha"}
    assert member_cohorts(db_sessions, world.otto) == {world.beta: "Beta"}
    assert member_cohorts(db_sessions, world.admin) == {}


def test_only_exercises_that_declare_one_have_a_leaderboard(db_sessions, world, content_tree):
    plain = load_bank(content_tree)
    assert leaderboard_exercises(plain, ["double", "gone"]) == []
    with pytest.raises(NoLeaderboard):
        cohort_leaderboard(db_sessions, plain, world.lena, world.alpha, "double")
    declare(content_tree)
    assert leaderboard_exercises(load_bank(content_tree), ["double", "gone"]) == ["double"]


def seeded_app(settings, content_tree):
    """The app's database with the cohort world and graded runs of ``double`` (which declares a board)."""
    declare(content_tree)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    sessions = session_factory(engine)
    world = seed(sessions, pacing="all-open")
    graded(sessions, world.ada.id, "passed", val_loss=1.93, train_seconds=74.0, gpu_profile=0.0)
    graded(sessions, world.bob.id, "failed", val_loss=2.20, train_seconds=75.0, gpu_profile=0.0)
    graded(sessions, world.bob.id, "passed", val_loss=1.49, train_seconds=85.0, gpu_profile=1.0)
    return engine, world


def test_a_lead_sees_the_leaderboard_on_the_cohort_page(tiny_app_env, content_tree):
    engine, _ = seeded_app(tiny_app_env, content_tree)
    at = log_in("lena")
    at.switch_page("app_pages/cohort.py").run()
    assert not at.exception, at.exception
    assert any(s.value == "Leaderboard: Double a tensor" for s in at.subheader)
    boards = [df.value for df in at.dataframe if "best val_loss" in df.value.columns]
    assert [list(b["learner"]) for b in boards] == [["ada", "bob"], ["bob"]]  # CPU board, then GPU board
    assert list(boards[0]["best val_loss"]) == [1.93, 2.2] and list(boards[1]["rank"]) == [1]
    assert {"**CPU profile**", "**GPU profile**"} <= {m.value for m in at.markdown}
    engine.dispose()


def test_a_learner_sees_their_cohorts_board_on_the_exercise_page(tiny_app_env, content_tree):
    engine, _ = seeded_app(tiny_app_env, content_tree)
    at = log_in("bob")
    at.switch_page("app_pages/exercise.py")
    at.query_params["id"] = "double"
    at.run()
    assert not at.exception, at.exception
    assert [e.label for e in at.expander if e.label.startswith("Leaderboard")] == ["Leaderboard of Alpha"]
    cpu = table(at, "best val_loss")
    assert list(cpu["learner"]) == ["ada", "bob (you)"]
    engine.dispose()


@pytest.mark.slow
def test_validation_requires_the_reference_to_publish_what_the_leaderboard_ranks(tmp_path, content_tree):
    from sandbox.cold import Checker
    from conftest import make_settings
    from sandbox.validate import validate_exercise

    declare(content_tree)
    checker = Checker.from_settings(make_settings(tmp_path / "data", content_tree))
    [problem] = validate_exercise(checker, load_bank(content_tree).exercises["double"]).problems
    assert "val_loss, train_seconds, gpu_profile" in problem and "artifacts().metric" in problem
    public = content_tree / "exercises" / "double" / "tests" / "test_public.py"
    public.write_text(public.read_text() + textwrap.indent(textwrap.dedent("""\
        artifacts.metric("val_loss", 1.9)
        artifacts.metric("train_seconds", 70.0)
        artifacts.metric("gpu_profile", 0.0)
        """), "    "))
    assert validate_exercise(checker, load_bank(content_tree).exercises["double"]).ok
