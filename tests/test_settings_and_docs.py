"""Settings read from the environment, and the README keeping up with them."""
from dataclasses import fields
from pathlib import Path

import pytest

from config import PROJECT_ROOT, Settings, SettingsError, declarations, readme_table


def test_defaults_put_sqlite_in_the_data_folder(tmp_path):
    settings = Settings.from_env({"COURSE_DATA_DIR": str(tmp_path)})
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'course.db'}"
    assert settings.checker_sandbox == "bwrap" and settings.checker_workers == 2


def test_running_without_a_sandbox_needs_an_explicit_opt_out():
    settings = Settings.from_env({"CHECKER_SANDBOX": "none", "CHECKER_ALLOW_UNSANDBOXED": "yes"})
    assert settings.checker_sandbox == "none"


def test_database_url_switches_engines():
    settings = Settings.from_env({"DATABASE_URL": "postgresql+psycopg://u:p@localhost/course"})
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@localhost/course"


@pytest.mark.parametrize("env, message", [
    ({"CHECKER_WORKERS": "two"}, "CHECKER_WORKERS='two' is not a whole number"),
    ({"CHECKER_WORKERS": "0"}, "CHECKER_WORKERS=0"),
    ({"CHECKER_SANDBOX": "docker"}, "use 'bwrap' or 'none'"),
    ({"CHECKER_BACKEND": "kafka"}, "CHECKER_BACKEND"),
    ({"CHECKER_MODE": "hot"}, "CHECKER_MODE"),
    ({"CHECKER_SANDBOX": "none"}, "also set CHECKER_ALLOW_UNSANDBOXED=yes"),
    ({"MAX_CODE_BYTES": "100"}, "MAX_CODE_BYTES=100: use a number from 1024 to"),
    ({"SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE='maybe': use 'yes' or 'no'"),
    ({"BACKUP_KEEP": "0"}, "BACKUP_KEEP=0: keep at least 1 backup"),
])
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_the_readme_settings_table_is_the_one_the_declarations_give():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert readme_table() in readme, "README's settings table is stale: paste `python -m config readme` over it"
    assert {f.name for f in fields(Settings)} == set(declarations())


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_the_streamlit_side_never_imports_torch():
    ui_files = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "app_pages").glob("*.py")),
                *sorted((PROJECT_ROOT / "ui").glob("*.py")), *sorted((PROJECT_ROOT / "portal").glob("*.py"))]
    for path in ui_files:
        text = path.read_text()
        assert "import torch" not in text and "from torch" not in text, path


def test_importing_everything_the_app_process_loads_does_not_pull_in_torch():
    import subprocess
    import sys

    modules = ["portal.context", "portal.auth", "portal.catalog", "portal.exercise", "grading.service",
               "ui.session", "ui.verdict", "ui.login", "ui.corpus", "sandbox.validate"]
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_no_test_module_imports_another():
    """Shared fixtures and helpers live in conftest.py and fixture modules (``*_fixtures.py`` and
    the like), so a test module can be run, changed or deleted on its own."""
    import ast

    tests = PROJECT_ROOT / "tests"
    modules = {p.stem for p in tests.glob("test_*.py")}
    offenders = []
    for path in sorted(tests.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                if name.removeprefix("tests.") in modules:
                    offenders.append(f"{path.name} imports {name}")
    assert not offenders, "; ".join(offenders)


def test_pages_import_only_portal_ui_streamlit_and_the_standard_library():
    """Pages stay thin: rules live in portal/, drawing in ui/; a page never reaches into the database,
    the grader or the content loader (their errors reach pages through portal)."""
    import ast
    import sys

    allowed = {"portal", "ui", "streamlit", "altair", "__future__"} | set(sys.stdlib_module_names)
    offenders = []
    for path in sorted((PROJECT_ROOT / "app_pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            offenders += [f"{path.name} imports {n}" for n in names if n.split(".")[0] not in allowed]
    assert not offenders, "; ".join(offenders)


def test_the_worker_bound_fits_the_uids_one_engine_instance_owns():
    from sandbox.warm import SLOTS_PER_INSTANCE, UIDS_PER_INSTANCE, UIDS_PER_SLOT
    from config import MAX_CHECKER_WORKERS

    # Each slot needs a uid for the learner's process and one for the judge.
    assert UIDS_PER_SLOT == 2
    assert MAX_CHECKER_WORKERS <= SLOTS_PER_INSTANCE == UIDS_PER_INSTANCE // UIDS_PER_SLOT
