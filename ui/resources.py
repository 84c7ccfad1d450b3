"""A module's outside resources on the track page: one line each (kind, title, required or optional,
the syllabus's note), and a YouTube player under a video's line when the learner chose to embed.

Nothing here fetches anything: ``st.video`` of a YouTube address only writes an iframe, which the
learner's browser loads (or not, offline: hence the plain link on every line).
"""
from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from courseware.spec import Resource

EMBED_KEY = "embed_videos"
"""Session key of the "Embed videos" choice, shared by every module on the page."""
ICONS = {"video": "🎬", "playlist items": "📺", "article": "📄", "course": "🎓", "book": "📚"}
EMBEDDABLE = ("youtube.com/watch", "youtu.be/")


def embed_choice() -> bool:
    """The page-wide "Embed videos" toggle (off by default: a track page with a dozen players is slow,
    and offline they are blank boxes)."""
    return st.toggle("Embed videos", key=EMBED_KEY,
                     help="Show a YouTube player under each video (the browser needs the internet); "
                          "links work either way.")


def resource_line(resource: Resource) -> str:
    """The Markdown line for one resource: link (or plain title without an address), kind, need, note."""
    title = resource.title.replace("[", "\\[").replace("]", "\\]")
    name = f"[{title}]({resource.url})" if resource.url else f"*{title}*"
    need = "required" if resource.required else "optional"
    note = f" — {resource.note}" if resource.note else ""
    return f"{ICONS.get(resource.kind, '🔗')} {name} · {resource.kind} · {need}{note}"


def _embeddable(resource: Resource) -> bool:
    # Playlist items are linked, not embedded: the player would show the playlist's first video,
    # not the numbers the note asks for.
    return resource.kind == "video" and any(p in resource.url for p in EMBEDDABLE)


def render_resources(resources: Sequence[Resource], embed: bool = False) -> None:
    """The list of ``resources``, with a player under each YouTube video when ``embed``."""
    if not resources:
        return
    st.markdown("**Outside resources**")
    for resource in resources:
        st.markdown(resource_line(resource))
        if embed and _embeddable(resource):
            st.video(resource.url)
