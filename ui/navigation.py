"""Drawing an item's place in the learner's track: where it sits, previous / next, its lesson or exercises.

The order comes from ``portal.navigation`` (the learner's cohort track, else the track they
browse or follow); lesson and prompt texts never say it themselves.
"""
from __future__ import annotations

import streamlit as st

from portal.auth import CurrentUser
from portal.context import AppContext
from portal.navigation import NavLink, Neighbours, learner_track, neighbours, tracks_with

TRACK_KEY = "track_id"
"""The track the Tracks page shows; the lesson and exercise pages prefer it and set it."""


def track_of(ctx: AppContext, user: CurrentUser, kind: str, item_id: str) -> str | None:
    """The id of the learner's track for this item (see ``portal.navigation.learner_track``)."""
    return learner_track(ctx.sessions, ctx.bank, user.id, kind, item_id, preferred=st.session_state.get(TRACK_KEY))


def place_caption(ctx: AppContext, track_id: str | None, kind: str, item_id: str) -> Neighbours | None:
    """One caption line: "<track> · <week and module> · lesson 1 of 2", or which tracks hold the item."""
    nav = neighbours(ctx.bank, track_id, kind, item_id)
    if nav is not None:
        st.session_state[TRACK_KEY] = nav.track.id  # "Back to the track" opens this one
        st.caption(f"🗺️ {nav.heading} · item {nav.position} of {nav.count}")
        return nav
    track = ctx.bank.tracks.get(track_id) if track_id else None
    elsewhere = ", ".join(t.title for t in tracks_with(ctx.bank, kind, item_id))
    note = f"Not part of {track.title}" if track else "Not part of any track"
    st.caption(f"🗺️ {note}" + (f"; it is in {elsewhere}." if elsewhere else "."))
    return None


def _link(link: NavLink, text: str, here: Neighbours | None) -> None:
    elsewhere = here is not None and link.module_title and link.module_title != here.module.title
    suffix = f" ({link.module_title})" if elsewhere else ""
    st.page_link(link.page, label=f"{text} {link.label}{suffix}", query_params={"id": link.id})


def neighbour_links(nav: Neighbours | None, kind: str, mentioned: list[NavLink] = ()) -> None:
    """Previous and next in the track, the lesson's exercises (or the exercise's lessons) and the
    items the text refers to, as page links."""
    if nav is not None:
        before, middle, after = st.columns(3)
        with before:
            if nav.previous is not None:
                _link(nav.previous, "← Previous:", nav)
        with after:
            if nav.next is not None:
                _link(nav.next, "Next →", nav)
        with middle:
            shown = {(nav.previous.kind, nav.previous.id) if nav.previous else None,
                     (nav.next.kind, nav.next.id) if nav.next else None}
            for link in nav.companions:
                if (link.kind, link.id) not in shown:
                    _link(link, "Practise it:" if kind == "lesson" else "Read first:", nav)
    if mentioned:
        st.caption("Mentioned in the text")
        for link in mentioned:
            _link(link, "↗", None)

