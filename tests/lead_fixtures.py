"""A snapshot of the first-steps track and a seeded cohort "Alpha", for the lead's browser tests."""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import yaml

from config import PROJECT_ROOT
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from db.models import Cohort, CohortMember
from db.submissions import create_submission, store_result

LEARNERS = ("ada", "bob", "cyd")

# (learner, exercise, status, score): ada passes softmax after a failed try; bob is half-way on attention.
SUBMITS = [
    ("ada", "stable-softmax", "failed", 5.0),
    ("ada", "stable-softmax", "passed", 10.0),
    ("ada", "scaled-dot-product-attention", "passed", 20.0),
    ("bob", "stable-softmax", "passed", 10.0),
    ("bob", "scaled-dot-product-attention", "failed", 8.0),
    ("cyd", "stable-softmax", "failed", 2.5),
]

POINTS = {"stable-softmax": 10.0, "scaled-dot-product-attention": 20.0}


def first_steps_content(root: Path) -> Path:
    """A copy of the first-steps track with its lessons and exercises, and the items their texts
    refer to (``[[lesson:id]]``, ``[[exercise:id]]``: the loader refuses a reference to a missing one).

    The app refuses to start when any content file is broken; a snapshot of the one track this
    test needs keeps it independent of lessons and exercises being written elsewhere in the tree.
    """
    from courseware.prose import REFERENCE

    source = PROJECT_ROOT / "lessons" / "tracks" / "first-steps.yaml"
    track = yaml.safe_load(source.read_text())
    (root / "lessons" / "tracks").mkdir(parents=True)
    shutil.copy(source, root / "lessons" / "tracks")
    todo = [(kind, item[kind]) for m in track["modules"] for item in m["items"]
            for kind in ("lesson", "exercise") if kind in item and not item.get("coming")]
    copied: set[tuple[str, str]] = set()
    while todo:
        kind, item_id = todo.pop()
        if (kind, item_id) in copied:
            continue
        copied.add((kind, item_id))
        if kind == "lesson":
            found = next((PROJECT_ROOT / "lessons").rglob(f"{item_id}.md"))
            target = root / found.relative_to(PROJECT_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(found, target)
            texts = [found.read_text()]
        else:
            folder = PROJECT_ROOT / "exercises" / item_id
            shutil.copytree(folder, root / "exercises" / item_id)
            texts = [(folder / "prompt.md").read_text()]
        todo += [(m.group(1), m.group(2)) for text in texts for m in REFERENCE.finditer(text)]
    return root


def seed_cohort(url: str) -> None:
    """Accounts, the cohort "Alpha" led by lena, and graded submits stored as a worker would."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        with session_factory(engine)() as session:
            users.create_user(session, "the-admin", "admin-password", role="admin")
            lena = users.create_user(session, "lena", "lead-password-1", role="lead", display_name="Lena")
            learners = {name: users.create_user(session, name, f"{name}-password-1") for name in LEARNERS}
            cohort = Cohort(name="Alpha", track_id="first-steps", start_date=date.today() - timedelta(days=14),
                            pacing="weekly")
            session.add(cohort)
            session.flush()
            session.add(CohortMember(cohort_id=cohort.id, user_id=lena.id, role="lead"))
            session.add_all(CohortMember(cohort_id=cohort.id, user_id=u.id, role="learner") for u in learners.values())
            session.commit()
            for name, exercise, status, score in SUBMITS:
                sub = create_submission(session, user_id=learners[name].id, exercise_id=exercise, mode="submit",
                                        code="def f():\n    pass\n")
                session.commit()
                passed = status == "passed"
                tests = [{"name": "test_public", "visibility": "public", "outcome": "passed", "message": ""},
                         {"name": "test_hidden_edge_case", "visibility": "hidden",
                          "outcome": "passed" if passed else "failed",
                          "message": "" if passed else "values differ", "error_class": None if passed else "values"}]
                assert store_result(session, sub.id, status=status, score=score, tests=tests, artifacts=[],
                                    points_possible=POINTS[exercise], error_class=None if passed else "values")
    finally:
        engine.dispose()
