"""The exercise editor: CodeMirror 6 in a static Streamlit component, with the Run and Submit buttons inside it.

    event = code_editor(saved_code, key="editor:stable-softmax", doc_key="stable-softmax",
                        handled=st.session_state.get("handled"), locked=None)
    event.code            # the editor's text (for the draft); None before the editor first reported
    event.action          # EditorAction("submit", id, code) for a click not yet handled, else None

Why a component of our own (``ui/editor_frontend/``, no network at run time):

- the code a click grades travels *in the same message* as the click, so it is exactly what the
  editor showed at that moment (separate Streamlit buttons raced the editor's last update);
- its code font is bundled (JetBrains Mono, SIL OFL 1.1, ``fonts/``) with a 1.6 line height, so
  ``_`` is drawn on every system;
- Enter always starts a new line, Tab accepts a suggestion, Ctrl/Cmd+Enter runs the public tests,
  and long lines wrap on request (on by default on narrow screens).

CodeMirror is vendored as one script built from pinned npm packages (``scripts/editor-bundle/``).

Tests without a browser (AppTest) act as the component does: they put its value in
``st.session_state[key]``, e.g. ``{"code": src, "action": {"kind": "submit", "id": "t1", "code": src}}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

FRONTEND = Path(__file__).with_name("editor_frontend")
ACTIONS = ("run", "submit")
_component = components.declare_component("course_code_editor", path=str(FRONTEND))


@dataclass(frozen=True)
class EditorAction:
    """A click on Run or Submit (or Ctrl/Cmd+Enter), with the editor's text at that moment."""

    kind: str
    """``run`` or ``submit``."""
    id: str
    """Unique per click: the page handles each one once."""
    code: str


@dataclass(frozen=True)
class EditorEvent:
    """What the editor reported in this rerun."""

    code: str | None
    action: EditorAction | None


def parse_value(value: Any, handled: str | None = None) -> EditorEvent:
    """The component's value as an event; an action whose id is ``handled`` (or malformed) is dropped."""
    if not isinstance(value, dict):
        return EditorEvent(None, None)
    code = value.get("code") if isinstance(value.get("code"), str) else None
    raw = value.get("action")
    action = None
    if (isinstance(raw, dict) and raw.get("kind") in ACTIONS and isinstance(raw.get("id"), str)
            and isinstance(raw.get("code"), str) and raw["id"] != handled):
        action = EditorAction(raw["kind"], raw["id"], raw["code"])
    return EditorEvent(code, action)


def code_editor(code: str, *, key: str, doc_key: str, handled: str | None = None, locked: str | None = None,
                min_lines: int = 22, max_lines: int = 40) -> EditorEvent:
    """Draw the editor opened on ``code`` (used when it first appears or ``doc_key`` changes).

    ``handled``: the id of the last action the page acted on (the editor stops resending it);
    ``locked``: why Run and Submit are disabled (None when they are enabled).
    """
    value = _component(code=code, doc_key=doc_key, handled=handled, locked=locked or "", min_lines=min_lines,
                       max_lines=max_lines, key=key, default=None)
    return parse_value(value, handled)
