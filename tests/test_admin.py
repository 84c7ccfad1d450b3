"""Admin actions (portal.admin) on a real migrated database (SQLite, or PostgreSQL), and the `python -m portal` CLI."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import config as settings_module
from db import users
from db.models import Cohort, CohortMember, User
from portal import admin
from portal.__main__ import main
from portal.access import AccessDenied
from portal.auth import CurrentUser
from postgres_server import database_url_for

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

TRACKS = {"transformers", "cnn-basics"}
START = date(2026, 3, 2)


def _viewer(sessions: sessionmaker[Session], username: str, role: str) -> CurrentUser:
    with sessions() as session:
        user = users.create_user(session, username, "viewer-password", role=role)
        session.commit()
        return CurrentUser(user.id, user.username, user.username, user.role)


@pytest.fixture
def boss(db_sessions) -> CurrentUser:
    """A committed admin account, as the viewer."""
    return _viewer(db_sessions, "boss", "admin")


def _login(sessions: sessionmaker[Session], username: str, password: str) -> User | None:
    with sessions() as session:
        return users.authenticate(session, username, password)


def _count(sessions: sessionmaker[Session], model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def _memberships(sessions: sessionmaker[Session], username: str) -> set[tuple[str, str]]:
    with sessions() as session:
        return set(session.execute(select(Cohort.name, CohortMember.role).join(Cohort).join(User)
                                   .where(User.username == username)).all())


def _cohort(sessions, boss, name="Spring", leads=()) -> int:
    return admin.create_cohort(sessions, boss, name=name, track_id="transformers", start_date=START,
                               leads=leads, known_tracks=TRACKS)


def test_create_user_generates_a_password_that_logs_in(db_sessions, boss):
    made = admin.create_user(db_sessions, boss, username="Ada@Example.org", name="Ada Lovelace")
    assert (made.username, made.name, made.role, made.cohort) == ("ada@example.org", "Ada Lovelace", "learner", None)
    assert made.password and len(made.password) >= users.MIN_PASSWORD_LEN
    assert _login(db_sessions, "ada@example.org", made.password) is not None


def test_create_user_with_a_chosen_password_and_a_cohort(db_sessions, boss):
    _cohort(db_sessions, boss)
    made = admin.create_user(db_sessions, boss, username="grace", name="Grace", role="lead",
                             password="chosen-pass", cohort="Spring")
    assert made.password is None and made.cohort == "Spring"
    assert _login(db_sessions, "grace", "chosen-pass").role == "lead"
    assert _memberships(db_sessions, "grace") == {("Spring", "lead")}
    admin.create_user(db_sessions, boss, username="alan", name="Alan", cohort="Spring")
    assert _memberships(db_sessions, "alan") == {("Spring", "learner")}


def test_create_user_refuses_unknown_cohort_and_creates_nothing(db_sessions, boss):
    with pytest.raises(admin.AdminError, match="no cohort named 'Autumn'"):
        admin.create_user(db_sessions, boss, username="ada", name="Ada", cohort="Autumn")
    with pytest.raises(users.UserError, match="role 'teacher' is not valid"):
        admin.create_user(db_sessions, boss, username="ada", name="Ada", role="teacher")
    assert _count(db_sessions, User) == 1  # only the admin


def test_csv_import_creates_everyone_with_working_passwords(db_sessions, boss):
    _cohort(db_sessions, boss, leads=["boss"])
    report = admin.import_users_csv(db_sessions, boss, (
        "name,email,role,cohort,password\n"
        "Ada Lovelace,Ada@example.org,,Spring,\n"
        "\n"
        "Grace Hopper,grace@example.org,lead,Spring,grace-pass\n"))
    assert report.ok, report.problems
    by_name = {c.username: c for c in report.created}
    assert set(by_name) == {"ada@example.org", "grace@example.org"}
    assert by_name["grace@example.org"].password is None
    assert _login(db_sessions, "ada@example.org", by_name["ada@example.org"].password).role == "learner"
    assert _login(db_sessions, "grace@example.org", "grace-pass").role == "lead"
    assert _memberships(db_sessions, "grace@example.org") == {("Spring", "lead")}
    assert _memberships(db_sessions, "ada@example.org") == {("Spring", "learner")}


def test_csv_import_is_all_or_nothing_and_reports_every_bad_line(db_sessions, boss):
    _cohort(db_sessions, boss)
    admin.create_user(db_sessions, boss, username="taken", name="Already here")
    report = admin.import_users_csv(db_sessions, boss, (
        "name,username,role,cohort\n"
        "Good One,good-one,learner,Spring\n"        # line 2 is fine but must not be created
        "Bad Role,bad-role,teacher,\n"              # line 3
        "No Cohort,no-cohort,learner,Autumn\n"      # line 4
        "Again,good-one,learner,\n"                 # line 5
        "Taken,TAKEN,,\n"                           # line 6
        "Spaces,has space,,\n"                      # line 7
        ",no-name,,\n"                              # line 8
        f"{'N' * 129},long-name,,\n"))              # line 9
    assert not report.ok and report.created == []
    assert report.problems == [
        "line 3: role 'teacher' is not one of learner, lead, admin",
        "line 4: cohort 'Autumn' does not exist; create it first or fix the name",
        "line 5: username 'good-one' appears already on line 2",
        "line 6: username 'taken' already has an account; remove the row",
        "line 7: username 'has space' is not valid: use 3 to 64 letters, digits or _ . @ -",
        "line 8: name is empty; give the person's name",
        "line 9: name is 129 characters long; shorten it to at most 128",
    ]
    assert _count(db_sessions, User) == 2  # the admin and "taken": nothing from the file
    assert _count(db_sessions, CohortMember) == 0


def test_csv_import_reports_missing_and_unknown_columns(db_sessions, boss):
    report = admin.import_users_csv(db_sessions, boss, "login,role\nada,learner\n")
    assert report.problems == [
        "line 1: unknown column 'login'; use name, username, email, role, cohort, password",
        "line 1: the column 'name' is missing",
        "line 1: a column 'username' or 'email' is required",
    ]
    assert admin.import_users_csv(db_sessions, boss, "").problems[0].startswith("the file is empty")
    assert admin.import_users_csv(db_sessions, boss, "name,username\n").problems == ["the file has a header but no rows"]
    assert _count(db_sessions, User) == 1


def test_csv_import_accepts_a_bom_semicolons_and_crlf(db_sessions, boss):
    _cohort(db_sessions, boss)
    text = "\ufeffName;Username;Role;Cohort\r\nZoë Müller;zoe;lead;Spring\r\nLin;lin;;\r\n"
    report = admin.import_users_csv(db_sessions, boss, text)
    assert report.ok, report.problems
    assert [(c.username, c.name, c.role, c.cohort) for c in report.created] == [
        ("zoe", "Zoë Müller", "lead", "Spring"), ("lin", "Lin", "learner", None)]


def test_reset_password_replaces_it_and_lifts_the_login_delay(db_sessions, boss):
    made = admin.create_user(db_sessions, boss, username="ada", name="Ada")
    for _ in range(users.FREE_FAILURES + 2):
        _login(db_sessions, "ada", "wrong guess")
    with db_sessions() as session:
        assert users.login_delay_s(session, "ada") > 0
    new = admin.reset_password(db_sessions, boss, "ADA")
    assert new != made.password
    assert _login(db_sessions, "ada", made.password) is None
    assert _login(db_sessions, "ada", new) is not None
    assert admin.reset_password(db_sessions, boss, "ada", "my-own-choice") == "my-own-choice"
    assert _login(db_sessions, "ada", "my-own-choice") is not None
    with pytest.raises(admin.AdminError, match="no account named 'nobody'"):
        admin.reset_password(db_sessions, boss, "nobody")


def test_deactivated_user_cannot_log_in_until_activated(db_sessions, boss):
    made = admin.create_user(db_sessions, boss, username="ada", name="Ada")
    admin.set_active(db_sessions, boss, "ada", False)
    assert _login(db_sessions, "ada", made.password) is None
    assert [u.active for u in admin.list_users(db_sessions, boss) if u.username == "ada"] == [False]
    admin.set_active(db_sessions, boss, "ada", True)
    assert _login(db_sessions, "ada", made.password) is not None


def test_an_admin_cannot_deactivate_or_demote_themselves(db_sessions, boss):
    with pytest.raises(admin.AdminError, match="your own account"):
        admin.set_active(db_sessions, boss, "boss", False)
    with pytest.raises(admin.AdminError, match="your own admin role"):
        admin.set_role(db_sessions, boss, "boss", "lead")
    assert _login(db_sessions, "boss", "viewer-password").role == "admin"


def test_set_role_to_learner_drops_lead_memberships(db_sessions, boss):
    admin.create_user(db_sessions, boss, username="grace", name="Grace", role="lead")
    _cohort(db_sessions, boss, leads=["grace"])
    admin.set_role(db_sessions, boss, "grace", "learner")
    assert _memberships(db_sessions, "grace") == set()
    with pytest.raises(admin.AdminError, match="role 'boss' is not one of"):
        admin.set_role(db_sessions, boss, "grace", "boss")


def test_create_cohort_with_leads_and_its_listing(db_sessions, boss):
    admin.create_user(db_sessions, boss, username="grace", name="Grace", role="lead")
    cohort_id = admin.create_cohort(db_sessions, boss, name=" Spring ", track_id="transformers",
                                    start_date=START, pacing="all-open", leads=["Grace", "boss", "grace"],
                                    known_tracks=TRACKS)
    admin.create_user(db_sessions, boss, username="ada", name="Ada", cohort="Spring")
    [row] = admin.list_cohorts(db_sessions, boss)
    assert row == admin.CohortRow(cohort_id, "Spring", "transformers", START, "all-open", ("boss", "grace"), 1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"track_id": "rnn"}, "no track 'rnn'; known tracks: cnn-basics, transformers"),
    ({"leads": ["ada"]}, "'ada' is a learner account; make them a lead first"),
    ({"leads": ["ghost"]}, "no account named 'ghost'"),
    ({"pacing": "daily"}, "pacing 'daily' is not one of weekly, all-open"),
    ({"name": "  "}, "the cohort needs a name"),
    ({"name": "Taken"}, "a cohort named 'Taken' exists already"),
    ({"name": "C" * 129}, "129 characters long; shorten it to at most 128"),
])
def test_create_cohort_refuses_bad_input(db_sessions, boss, kwargs, message):
    _cohort(db_sessions, boss, name="Taken")
    admin.create_user(db_sessions, boss, username="ada", name="Ada")
    args = {"name": "Spring", "track_id": "transformers", "start_date": START, "known_tracks": TRACKS, **kwargs}
    with pytest.raises(admin.AdminError, match=message):
        admin.create_cohort(db_sessions, boss, **args)
    assert _count(db_sessions, Cohort) == 1


def test_move_learner_keeps_one_cohort_per_learner(db_sessions, boss):
    _cohort(db_sessions, boss, name="Spring")
    _cohort(db_sessions, boss, name="Autumn", leads=["boss"])
    admin.create_user(db_sessions, boss, username="ada", name="Ada", cohort="Spring")
    admin.move_learner(db_sessions, boss, "ada", "Autumn")
    assert _memberships(db_sessions, "ada") == {("Autumn", "learner")}
    assert [u.cohorts for u in admin.list_users(db_sessions, boss) if u.username == "ada"] == [("Autumn",)]
    admin.move_learner(db_sessions, boss, "ada", None)
    assert _memberships(db_sessions, "ada") == set()
    with pytest.raises(admin.AdminError, match="'boss' leads 'Autumn'"):
        admin.move_learner(db_sessions, boss, "boss", "Autumn")
    with pytest.raises(admin.AdminError, match="known cohorts: Autumn, Spring"):
        admin.move_learner(db_sessions, boss, "ada", "Winter")


def test_list_users_shows_roles_activity_and_cohorts(db_sessions, boss):
    _cohort(db_sessions, boss, leads=["boss"])
    admin.create_user(db_sessions, boss, username="ada", name="Ada L", cohort="Spring")
    assert admin.list_users(db_sessions, boss) == [
        admin.UserRow("ada", "Ada L", "learner", True, ("Spring",)),
        admin.UserRow("boss", "boss", "admin", True, ("Spring",)),
    ]


EVERY_ACTION = {
    "create_user": lambda s, v: admin.create_user(s, v, username="sneaky", name="S", role="admin"),
    "import_users_csv": lambda s, v: admin.import_users_csv(s, v, "name,username,role\nS,sneaky,admin\n"),
    "reset_password": lambda s, v: admin.reset_password(s, v, "boss", "taken-over"),
    "set_active": lambda s, v: admin.set_active(s, v, "boss", False),
    "set_role": lambda s, v: admin.set_role(s, v, v.username, "admin"),
    "create_cohort": lambda s, v: admin.create_cohort(s, v, name="X", track_id="transformers",
                                                      start_date=START, known_tracks=TRACKS),
    "move_learner": lambda s, v: admin.move_learner(s, v, v.username, "Spring"),
    "list_users": lambda s, v: admin.list_users(s, v),
    "list_cohorts": lambda s, v: admin.list_cohorts(s, v),
}


@pytest.mark.parametrize("role", ["lead", "learner"])
@pytest.mark.parametrize("action", sorted(EVERY_ACTION))
def test_non_admins_are_refused_every_action(db_sessions, boss, role, action):
    _cohort(db_sessions, boss)
    viewer = _viewer(db_sessions, "someone", role)
    with pytest.raises(AccessDenied):
        EVERY_ACTION[action](db_sessions, viewer)
    assert _login(db_sessions, "boss", "viewer-password") is not None  # boss untouched
    assert _login(db_sessions, "someone", "viewer-password").role == role
    assert (_count(db_sessions, User), _count(db_sessions, Cohort), _count(db_sessions, CohortMember)) == (2, 1, 0)


# --- the CLI -------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path, content_tree, monkeypatch):
    """The CLI on a fresh data folder and the tiny content tree (track 'tiny')."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(content_tree))
    if url := database_url_for(tmp_path / "cli-data"):  # --database=postgresql
        monkeypatch.setenv("DATABASE_URL", url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    settings_module.get_settings.cache_clear()
    yield tmp_path
    settings_module.get_settings.cache_clear()


def _cli_sessions():
    from db.engine import make_engine, session_factory

    return session_factory(make_engine(settings_module.get_settings().sqlalchemy_url))


def _table(out: str) -> dict[str, dict[str, str]]:
    """Parse a printed table (columns two spaces apart) into rows by their first cell."""
    import re

    lines = [line for line in out.splitlines() if line.strip()]
    header = re.split(r"\s{2,}", lines[0].strip())
    rows = [dict(zip(header, re.split(r"\s{2,}", line.strip()))) for line in lines[1:] if "  " in line]
    return {row[header[0]]: row for row in rows}


def test_cli_round_trip(cli_env, capsys):
    assert main(["users", "add", "grace", "--name", "Grace Hopper", "--role", "lead"]) == 0
    grace_password = _table(capsys.readouterr().out)["grace"]["password"]
    assert main(["cohorts", "create", "Spring 2026", "--track", "tiny", "--start", "2026-03-02",
                 "--pacing", "all-open", "--lead", "grace"]) == 0
    assert "Spring 2026" in capsys.readouterr().out
    csv_file = cli_env / "people.csv"
    csv_file.write_text("\ufeffname;email;cohort\nAda Lovelace;ada@example.org;Spring 2026\n", encoding="utf-8")
    assert main(["users", "import", str(csv_file)]) == 0
    ada = _table(capsys.readouterr().out)["ada@example.org"]
    assert (ada["name"], ada["role"], ada["cohort"]) == ("Ada Lovelace", "learner", "Spring 2026")
    assert main(["cohorts", "list"]) == 0
    listed = _table(capsys.readouterr().out)
    assert [(r["name"], r["track"], r["leads"], r["learners"]) for r in listed.values()] == \
        [("Spring 2026", "tiny", "grace", "1")]

    sessions = _cli_sessions()
    assert _login(sessions, "grace", grace_password).role == "lead"
    assert _login(sessions, "ada@example.org", ada["password"]) is not None
    assert main(["users", "reset-password", "ada@example.org"]) == 0
    new = _table(capsys.readouterr().out)["ada@example.org"]["password"]
    assert _login(sessions, "ada@example.org", ada["password"]) is None
    assert _login(sessions, "ada@example.org", new) is not None
    assert main(["users", "deactivate", "ada@example.org"]) == 0
    assert _login(sessions, "ada@example.org", new) is None
    sessions.kw["bind"].dispose()


def test_cli_errors_are_one_line_and_exit_1(cli_env, capsys):
    assert main(["cohorts", "create", "X", "--track", "nope", "--start", "2026-03-02"]) == 1
    err = capsys.readouterr().err
    assert err == "error: no track 'nope'; known tracks: tiny\n"
    assert main(["cohorts", "create", "X", "--track", "tiny", "--start", "March"]) == 1
    assert capsys.readouterr().err == "error: start date 'March' is not a date; use YYYY-MM-DD\n"
    assert main(["users", "deactivate", "ghost"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    bad = cli_env / "bad.csv"
    bad.write_text("name,username,role\nA,aaa,teacher\nB,bbb,wizard\n")
    assert main(["users", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2: role 'teacher'" in err and "line 3: role 'wizard'" in err
    assert main(["users", "import", str(cli_env / "missing.csv")]) == 1
    assert "missing.csv" in capsys.readouterr().err
    assert main(["users", "list"]) == 0
    assert _table(capsys.readouterr().out) == {}  # nothing was created by the failed import
