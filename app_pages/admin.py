"""Admin: accounts (add, import CSV, reset password, activate, role), cohorts (create, move learners)
and regrades (re-run learners' latest Submits of an exercise after its tests changed).

Each action calls one ``portal.admin`` function. A success is kept in the session and the page
reruns, so the tables show the change and a new password is shown exactly once; the page stays on
the tab the action was taken on, shows the message there and empties the form that succeeded (a
failed one keeps what was typed).
"""
from collections.abc import Callable
from datetime import date

import streamlit as st

from portal import admin, user_data
from portal.regrade import regrade
from ui.session import get_context, require_user

FLASH_KEY = "admin_flash"
CLEAR_KEY = "admin_clear"
UPLOAD_KEY = "admin_csv_round"
NO_COHORT = "(no cohort)"

ctx = get_context()
user = require_user()
if user.role != "admin":
    st.error("Only an admin can open this page; ask an admin if you need an account changed.")
    st.stop()


# The fields of a form that succeeded are emptied here, before its widgets are drawn again: set
# (not deleted), so that the browser shows the empty value too. None: forget the state.
for cleared, empty in st.session_state.pop(CLEAR_KEY, {}).items():
    if empty is None:
        st.session_state.pop(cleared, None)
    else:
        st.session_state[cleared] = empty


def act(tab: str, action: Callable[[], object], message: Callable[[object], str],
        clear: dict[str, object] | None = None) -> None:
    """Run one admin action: on success remember the message (shown on ``tab``) and the fields to empty
    (key → its empty value), and rerun; on failure show why and keep what was typed."""
    try:
        result = action()
    except admin.ADMIN_ERRORS as exc:
        st.error(str(exc))
        return
    # New accounts are listed with their passwords under the message, once.
    created = [result] if isinstance(result, admin.CreatedUser) else getattr(result, "created", None)
    st.session_state[FLASH_KEY] = (tab, message(result), created)
    st.session_state[CLEAR_KEY] = clear or {}
    st.rerun()


def flash(tab: str) -> None:
    """The message of the action just taken on this tab (and new accounts' passwords, once)."""
    if (st.session_state.get(FLASH_KEY) or (None,))[0] != tab:
        return
    _, text, created = st.session_state.pop(FLASH_KEY)
    st.success(text)
    if created:
        created_table(created)
        st.caption("Passwords are shown only now: copy them before you leave this page.")


def created_table(created: list[admin.CreatedUser]) -> None:
    """New accounts with the passwords to hand over (generated ones; chosen ones are not shown)."""
    st.dataframe([{"username": c.username, "name": c.name, "role": c.role, "cohort": c.cohort or "",
                   "password": c.password or "(as given)"} for c in created], hide_index=True)


st.title("Admin")

users = admin.list_users(ctx.sessions, user)
cohorts = admin.list_cohorts(ctx.sessions, user)
usernames = [u.username for u in users]
cohort_names = [c.name for c in cohorts]
# Stateful tabs: after an action's rerun the page is still on the tab it was taken on.
users_tab, cohorts_tab, regrade_tab = st.tabs(["Users", "Cohorts", "Regrade"], key="admin_tab", on_change="rerun")

with users_tab:
    flash("Users")
    st.dataframe([{"username": u.username, "name": u.name, "role": u.role, "active": u.active,
                   "cohorts": ", ".join(u.cohorts)} for u in users], hide_index=True)
    with st.form("admin_add_user"):
        st.subheader("Add a user")
        new_username = st.text_input("Username or e-mail", key="admin_new_username")
        new_name = st.text_input("Name", key="admin_new_name")
        new_role = st.selectbox("Role", admin.USER_ROLES, key="admin_new_role")
        new_cohort = st.selectbox("Cohort", [NO_COHORT, *cohort_names], key="admin_new_cohort")
        new_password = st.text_input("Password (leave empty to generate one)", type="password",
                                     key="admin_new_password")
        if st.form_submit_button("Add user", key="admin_add"):
            act("Users", lambda: admin.create_user(ctx.sessions, user, username=new_username, name=new_name,
                                                   role=new_role, password=new_password or None,
                                                   cohort=None if new_cohort == NO_COHORT else new_cohort),
                lambda made: f"Account {made.username!r} created.",
                clear={"admin_new_username": "", "admin_new_name": "", "admin_new_password": ""})
    st.subheader("Import users from a CSV file")
    st.caption("Columns: name, username (or email), role (learner, lead, admin), cohort, password. "
               "Either every row is created or none is.")
    # A new key per successful import empties the uploader (its value cannot be set).
    upload = st.file_uploader("CSV file", type=["csv", "txt"], key=f"admin_csv_{st.session_state.get(UPLOAD_KEY, 0)}")
    pasted = st.text_area("…or paste CSV", key="admin_csv_text", placeholder="name,email,role,cohort")
    if st.button("Import", key="admin_import"):
        try:
            text = upload.getvalue().decode("utf-8") if upload is not None else pasted
        except UnicodeDecodeError:
            st.error("The file is not UTF-8 text; save it as 'CSV UTF-8' and upload it again.")
        else:
            report = admin.import_users_csv(ctx.sessions, user, text)
            if report.ok:
                st.session_state[UPLOAD_KEY] = st.session_state.get(UPLOAD_KEY, 0) + 1
                act("Users", lambda: report, lambda r: f"{len(r.created)} account(s) created.",
                    clear={"admin_csv_text": ""})
            else:
                st.error("Nothing was created. Fix these lines and import again:\n\n"
                         + "\n".join(f"- {p}" for p in report.problems))
    st.subheader("Manage an account")
    picked = st.selectbox("Account", usernames, key="admin_pick_user")
    reset_col, off_col, on_col = st.columns(3)
    if reset_col.button("Reset password", key="admin_reset"):
        act("Users", lambda: admin.reset_password(ctx.sessions, user, picked),
            lambda password: f"New password for {picked!r}: {password} (shown once; hand it over now)")
    if off_col.button("Deactivate", key="admin_deactivate"):
        act("Users", lambda: admin.set_active(ctx.sessions, user, picked, False),
            lambda _: f"{picked!r} deactivated and logged out everywhere.")
    if on_col.button("Activate", key="admin_activate"):
        act("Users", lambda: admin.set_active(ctx.sessions, user, picked, True), lambda _: f"{picked!r} activated.")
    role = st.selectbox("Role", admin.USER_ROLES, key="admin_role_new")
    if st.button("Change role", key="admin_set_role"):
        act("Users", lambda: admin.set_role(ctx.sessions, user, picked, role), lambda _: f"{picked!r} is now a {role}.")
    st.subheader("Export or delete an account")
    st.caption("The export is everything the platform holds about the account (JSON and code files). "
               "Deleting removes the account and all its work for good; cohort figures and the gradebook "
               "drop the person at once.")
    if st.button("Prepare export", key="admin_export"):
        try:
            st.session_state["admin_export_file"] = user_data.export_account(ctx.sessions, user, picked)
        except admin.ADMIN_ERRORS as exc:
            st.error(str(exc))
    if (export := st.session_state.get("admin_export_file")) is not None:
        st.download_button(f"Download {export[0]}", export[1], file_name=export[0], mime="application/zip",
                           key="admin_export_download")
    confirm = st.text_input(f"Type {picked!r} to confirm deletion", key="admin_delete_confirm")
    if st.button("Delete account and all its work", key="admin_delete", type="primary",
                 disabled=confirm.strip().lower() != (picked or "").lower()):
        act("Users", lambda: user_data.delete_user(ctx.sessions, user, picked),
            lambda removed: f"{picked!r} deleted. Rows removed: "
                            + ", ".join(f"{table} {n}" for table, n in removed.items()) + ".",
            clear={"admin_delete_confirm": "", "admin_export_file": None, "admin_pick_user": None})

with cohorts_tab:
    flash("Cohorts")
    st.dataframe([{"name": c.name, "track": c.track_id, "start": c.start_date, "pacing": c.pacing,
                   "leads": ", ".join(c.leads), "learners": c.learners} for c in cohorts], hide_index=True)
    titles = {t.id: t.title for t in ctx.bank.tracks.values()}
    with st.form("admin_new_cohort"):
        st.subheader("Create a cohort")
        cohort_name = st.text_input("Name", key="admin_cohort_name", placeholder="Spring 2026")
        track_id = st.selectbox("Track", list(titles), format_func=titles.get, key="admin_cohort_track")
        start = st.date_input("Start date", value=date.today(), key="admin_cohort_start")
        pacing = st.selectbox("Pacing", admin.PACINGS, key="admin_cohort_pacing",
                              help="weekly: one module opens per week; all-open: everything at once")
        leads = st.multiselect("Leads", [u.username for u in users if u.role != "learner"], key="admin_cohort_leads")
        if st.form_submit_button("Create cohort", key="admin_create_cohort"):
            act("Cohorts", lambda: admin.create_cohort(ctx.sessions, user, name=cohort_name, track_id=track_id,
                                                       start_date=start, pacing=pacing, leads=leads,
                                                       known_tracks=titles),
                lambda _: f"Cohort {cohort_name.strip()!r} created.",
                clear={"admin_cohort_name": "", "admin_cohort_leads": []})
    st.subheader("Move a learner")
    mover = st.selectbox("Learner", [u.username for u in users if u.role == "learner"], key="admin_move_user")
    target = st.selectbox("To cohort", [*cohort_names, NO_COHORT], key="admin_move_cohort")
    if st.button("Move", key="admin_move", disabled=mover is None):
        act("Cohorts", lambda: admin.move_learner(ctx.sessions, user, mover, None if target == NO_COHORT else target),
            lambda _: f"{mover!r} moved to {target}.")

with regrade_tab:
    flash("Regrade")
    st.subheader("Regrade an exercise")
    st.caption("After an exercise's tests change, re-run every learner's latest Submit against the current "
               "tests. The old verdicts stay in each learner's history (marked superseded); best scores, "
               "first passes and leaderboards follow the new ones. A regrade is not an attempt.")
    exercise_titles = {e: s.title for e, s in sorted(ctx.bank.exercises.items())}
    regrade_exercise = st.selectbox("Exercise", list(exercise_titles), key="admin_regrade_exercise",
                                    format_func=lambda e: f"{exercise_titles[e]} ({e})")
    regrade_cohort = st.selectbox("Learners", ["(all learners)", *cohort_names], key="admin_regrade_cohort")
    regrade_force = st.checkbox("Also those already graded against the current tests", key="admin_regrade_force")
    if st.button("Regrade", key="admin_regrade", disabled=regrade_exercise is None):
        act("Regrade", lambda: regrade(ctx.sessions, ctx.bank, ctx.grading, user, regrade_exercise,
                            cohort=None if regrade_cohort == "(all learners)" else regrade_cohort,
                            force=regrade_force),
            lambda report: report.message)
