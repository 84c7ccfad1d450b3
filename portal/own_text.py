""""Try it on your own text": which text the learner meant, and whether it can be used.

The exercise page offers an upload and a text area; these rules decide between them and
check the result with the same rules the grading service applies (``sandbox.inputs``).
"""
from __future__ import annotations

from sandbox.inputs import MAX_OWN_TEXT_BYTES, decode_text, own_text_problem


def pick_own_text(uploaded: bytes | None, pasted: str | None) -> tuple[str | None, str | None]:
    """(text, None) to run on, or (None, what to do): an uploaded file wins over pasted text."""
    if uploaded is not None:
        if len(uploaded) > MAX_OWN_TEXT_BYTES:
            return None, (f"The file is {len(uploaded):,} bytes; the limit is {MAX_OWN_TEXT_BYTES:,} (1 MB). "
                          "Upload a shorter excerpt.")
        text, problem = decode_text(uploaded)
        if problem:
            return None, problem
    elif pasted and pasted.strip():
        text = pasted
    else:
        return None, "Upload a .txt file or paste a text first, then press the button again."
    problem = own_text_problem(text)
    return (None, problem) if problem else (text, None)
