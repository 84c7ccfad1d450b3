"""A broken rule earns nothing: through the real service, sandbox and database."""
from __future__ import annotations

import textwrap
import time

import pytest

from verdicts.table import render_text, verdict_headline, verdict_rows
from courseware.loader import ContentError, load_bank
from db import submissions, users
from portal.context import build_context

from conftest import make_settings, write_content

pytestmark = [pytest.mark.slow, pytest.mark.database]

RULE_TEST = textwrap.dedent("""\

    def test_does_not_call_torch_mul(monkeypatch):
        def forbidden(*args, **kwargs):
            raise AssertionError("double(x) called torch.mul, which this exercise does not allow; use x + x.")
        monkeypatch.setattr(torch, "mul", forbidden)
        monkeypatch.setattr(torch.Tensor, "mul", forbidden)
        get_function("double", "double(x)")(torch.ones(2))
    """)
BREAKS_THE_RULE = "import torch\n\ndef double(x):\n    return torch.mul(x, 2)\n"


@pytest.fixture
def rule_ctx(tmp_path):
    root = write_content(tmp_path / "content")
    folder = root / "exercises" / "double"
    public = folder / "tests" / "test_public.py"
    public.write_text(public.read_text() + RULE_TEST)
    with (folder / "exercise.yaml").open("a") as f:
        f.write("rules: [test_does_not_call_torch_mul]\n")
    context = build_context(make_settings(tmp_path / "data", root))
    yield context
    context.close()


def _grade(ctx, code: str):
    with ctx.sessions() as session:
        user_id = users.create_user(session, "ada", "password-123").id
        session.commit()
    receipt = ctx.grading.submit(user_id=user_id, exercise_id="double", code=code, mode="submit")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = ctx.grading.verdict(user_id=user_id, submission_id=receipt.submission_id)
        if view.final:
            return view
        time.sleep(0.05)
    raise AssertionError("no verdict within 60 s")


def test_right_values_through_a_forbidden_api_score_zero_and_the_verdict_leads_with_the_rule(rule_ctx):
    view = _grade(rule_ctx, BREAKS_THE_RULE)
    outcomes = {t["name"]: t["outcome"] for t in view.tests}
    assert outcomes["test_does_not_call_torch_mul"] == "failed"
    assert sum(o == "passed" for o in outcomes.values()) == 3  # every value test passes...
    assert view.status == "failed" and view.score == 0  # ...and still nothing is earned
    rows = verdict_rows(view.tests)
    assert rows[0]["test"] == "test_does_not_call_torch_mul" and rows[0]["kind"] == "rule"
    assert verdict_headline(view.__dict__).endswith("score 0/10 · rule broken")
    text = render_text(view.__dict__)
    assert text.splitlines()[2].startswith("Rule broken (the rule checked by test_does_not_call_torch_mul)")
    with rule_ctx.sessions() as session:
        stored = submissions.get_submission(session, view.submission_id)
        assert stored.error_class == "rule" and stored.score == 0


def test_a_solution_that_keeps_the_rule_gets_every_point(rule_ctx):
    view = _grade(rule_ctx, "def double(x):\n    return x + x\n")
    assert view.status == "passed" and view.score == 10
    assert "rule broken" not in verdict_headline(view.__dict__)


def test_a_failing_value_test_alone_still_earns_partial_credit(rule_ctx):
    view = _grade(rule_ctx, "def double(x):\n    return x + x if x.dim() == 1 else x\n")
    assert view.status == "failed" and 0 < view.score < 10
    assert not any(t.get("error_class") == "rule" for t in view.tests)


def test_rules_must_name_tests_that_exist(tmp_path):
    root = write_content(tmp_path / "content")
    with (root / "exercises" / "double" / "exercise.yaml").open("a") as f:
        f.write("rules: [test_no_such_rule]\n")
    with pytest.raises(ContentError, match="test_no_such_rule.*is not a test function"):
        load_bank(root)
