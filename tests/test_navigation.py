"""An item's place in the learner's track (previous / next, its module, its lesson or exercises), the
rule that picks that track, and [[lesson:id]] references rendered with where the item sits."""
from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app_fixtures import app_pointed_at
from conftest import make_settings, write_content, write_exercise
from courseware.loader import load_bank
from config import PROJECT_ROOT
from db import progress, users
from db.models import Cohort, CohortMember
from portal.navigation import (choose_track, learner_track, module_label, neighbours, reference_place,
                               referenced_items, render_references, tracks_with)


def lesson_file(root: Path, lesson_id: str, title: str, body: str) -> None:
    (root / "lessons" / "basics" / f"{lesson_id}.md").write_text(
        f"---\nid: {lesson_id}\ntitle: {title}\nminutes: 3\nobjectives: []\n---\n{body}\n")


def write_two_tracks(root: Path) -> Path:
    """Track "tiny": Week 1 [doubling, double, (coming)], Week 2 · Halves [halving, tripling, triple].
    Track "other" (title "Another track"): Day 1 · Thirds [tripling, triple], Day 2 [doubling], both week 1."""
    write_content(root)
    write_exercise(root, "triple")
    lesson_file(root, "halving", "Halving", "Halve it. Doubling is [[lesson:doubling]]; practise with "
                                            "[[exercise:double]]. See also [[lesson:tripling]].")
    lesson_file(root, "tripling", "Tripling", "Three times.")
    tiny = root / "lessons" / "tracks" / "tiny.yaml"
    tiny.write_text(tiny.read_text() + textwrap.indent(textwrap.dedent("""\
        - id: week-2
          title: Week 2 · Halves
          week: 2
          items:
            - lesson: halving
            - lesson: tripling
            - exercise: triple
        """), "  "))
    (root / "lessons" / "tracks" / "other.yaml").write_text(textwrap.dedent("""\
        id: other
        title: Another track
        modules:
          - {id: day-1, title: "Day 1 · Thirds", week: 1, items: [{lesson: tripling}, {exercise: triple}]}
          - {id: day-2, title: "Day 2", week: 1, items: [{lesson: doubling}]}
        """))
    return root


@pytest.fixture
def bank(tmp_path):
    return load_bank(write_two_tracks(tmp_path / "content"))


def ids(links) -> list[str]:
    return [f"{link.kind}:{link.id}" for link in links]


def test_a_lesson_links_to_the_next_item_and_its_exercise(bank):
    nav = neighbours(bank, "tiny", "lesson", "doubling")
    assert nav.heading == "Tiny track · Week 1" and (nav.position, nav.count) == (1, 2)  # the coming item is left out
    assert nav.previous is None and ids([nav.next]) == ["exercise:double"]
    assert ids(nav.companions) == ["exercise:double"]


def test_previous_and_next_cross_module_boundaries_and_name_their_module(bank):
    nav = neighbours(bank, "tiny", "exercise", "double")
    assert ids([nav.previous, nav.next]) == ["lesson:doubling", "lesson:halving"]
    assert nav.next.module_title == "Week 2 · Halves" and nav.next.title == "Halving"
    assert ids(nav.companions) == ["lesson:doubling"]
    last = neighbours(bank, "tiny", "exercise", "triple")
    assert last.next is None and ids([last.previous]) == ["lesson:tripling"]
    assert (last.position, last.count) == (3, 3)


def test_a_run_of_lessons_goes_with_the_run_of_exercises_after_it(bank):
    assert ids(neighbours(bank, "tiny", "lesson", "halving").companions) == ["exercise:triple"]
    assert ids(neighbours(bank, "tiny", "exercise", "triple").companions) == ["lesson:halving", "lesson:tripling"]
    assert neighbours(bank, "other", "lesson", "doubling").companions == ()  # a module with no exercise


def test_an_item_outside_the_track_has_no_place(bank):
    assert neighbours(bank, "other", "lesson", "halving") is None
    assert neighbours(bank, None, "lesson", "halving") is None
    assert neighbours(bank, "no-such-track", "lesson", "halving") is None
    assert [t.id for t in tracks_with(bank, "lesson", "doubling")] == ["other", "tiny"]  # by title


def test_module_labels_lead_with_the_week_unless_the_title_says_it(bank):
    assert module_label(bank.tracks["tiny"].modules[1]) == "Week 2 · Halves"
    assert neighbours(bank, "other", "lesson", "tripling").heading == "Another track · Day 1 · Thirds"  # one week
    assert module_label(bank.tracks["other"].modules[0]) == "Week 1 · Day 1 · Thirds"


def test_the_learners_track_rule(bank):
    def pick(kind="lesson", item="halving", cohort=None, followed=(), preferred=None):
        return choose_track(bank, kind, item, cohort_track=cohort, followed=list(followed), preferred=preferred)

    assert pick(cohort="other", preferred="tiny", followed=["tiny"]) == "other"  # the cohort's track, always
    assert pick(cohort="deleted-track") == "tiny"
    assert pick(item="doubling", preferred="tiny", followed=["other"]) == "tiny"  # the track being browsed
    assert pick(item="halving", preferred="other", followed=["other", "tiny"]) == "tiny"  # first followed holding it
    assert pick(item="halving", followed=["other"]) == "other"  # followed, though it lacks the item
    assert pick(item="doubling") == "other"  # no cohort, nothing followed: first track holding it, by title
    assert pick(item="nowhere") is None


def test_the_learners_track_comes_from_the_database(bank, db_sessions):  # noqa: F811
    with db_sessions() as session:
        ada = users.create_user(session, "ada", "correct horse")
        session.commit()
        ada_id = ada.id
    assert learner_track(db_sessions, bank, ada_id, "lesson", "halving") == "tiny"
    with db_sessions() as session:
        progress.enroll(session, ada_id, "other")
        session.commit()
    assert learner_track(db_sessions, bank, ada_id, "lesson", "tripling") == "other"
    assert learner_track(db_sessions, bank, ada_id, "lesson", "tripling", preferred="tiny") == "tiny"
    with db_sessions() as session:
        cohort = Cohort(name="Alpha", track_id="tiny", start_date=date.today(), pacing="all-open")
        session.add(cohort)
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, user_id=ada_id, role="learner"))
        session.commit()
    assert learner_track(db_sessions, bank, ada_id, "lesson", "tripling", preferred="other") == "tiny"


def test_references_show_the_title_and_where_the_item_sits_in_this_track(bank):
    body = bank.lessons["halving"].body
    shown = render_references(body, bank, "tiny")
    assert "📖 *Doubling* (in Week 1 of this track)" in shown
    assert "🧪 *Double a tensor* (in Week 1 of this track)" in shown
    assert "📖 *Tripling* (in Week 2 of this track)" in shown and "[[" not in shown
    assert render_references("(see [[lesson:tripling]])", bank, "tiny") == "(see 📖 *Tripling*, in Week 2 of this track)"
    elsewhere = render_references(body, bank, "other")
    assert "📖 *Doubling* (in Day 2 of this track)" in elsewhere  # two modules share week 1: name the module
    assert "🧪 *Double a tensor* (not part of this track)" in elsewhere
    assert reference_place(bank, None, "lesson", "doubling") == "not part of this track"
    assert ids(referenced_items(bank, body + " [[lesson:doubling]]")) == \
        ["lesson:doubling", "exercise:double", "lesson:tripling"]


# --- the pages -------------------------------------------------------------------------------

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def two_track_app(tmp_path, monkeypatch):
    """The app on the two-track tree, in cold mode (nothing is graded here)."""
    settings = make_settings(tmp_path / "data", write_two_tracks(tmp_path / "content"),
                             CHECKER_MODE="cold", CHECKER_WORKERS="1")
    with app_pointed_at(settings, monkeypatch):
        yield settings


def open_item(settings, page: str, item_id: str) -> AppTest:
    from db.engine import make_engine, session_factory
    from db.migrate import upgrade

    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        users.create_user(session, "the-admin", "admin-password", role="admin")
        users.create_user(session, "ada", "correct horse")
        session.commit()
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input("ada")
    at.text_input(key="login_password").input("correct horse")
    at.button[0].click().run()
    at.switch_page(page)
    at.query_params["id"] = item_id
    at.run()
    assert not at.exception, at.exception
    return at


def links(at: AppTest) -> dict[str, str]:
    return {link.proto.label: link.proto.query_string for link in at.page_link}


def test_the_lesson_page_shows_its_place_its_neighbours_and_its_references(two_track_app):
    at = open_item(two_track_app, "app_pages/lesson.py", "halving")
    captions = [c.value for c in at.caption]
    assert any(c.startswith("🗺️ Tiny track · Week 2 · Halves · item 1 of 3") for c in captions), captions
    assert any("📖 *Doubling* (in Week 1 of this track)" in m.value for m in at.markdown)
    shown = links(at)
    assert shown["← Previous: 🧪 Exercise: Double a tensor (Week 1)"] == "id=double"
    assert shown["Next → 📖 Lesson: Tripling"] == "id=tripling"
    assert shown["Practise it: 🧪 Exercise: Double a tensor"] == "id=triple"  # both exercises share a title
    assert shown["↗ 📖 Lesson: Doubling"] == "id=doubling"


def test_the_exercise_page_links_its_lesson_and_neighbours(two_track_app):
    at = open_item(two_track_app, "app_pages/exercise.py", "double")
    captions = [c.value for c in at.caption]
    assert any(c.startswith("🗺️ Tiny track · Week 1 · item 2 of 2") for c in captions), captions
    shown = links(at)
    assert shown["← Previous: 📖 Lesson: Doubling"] == "id=doubling"
    assert shown["Next → 📖 Lesson: Halving (Week 2 · Halves)"] == "id=halving"
