"""Files a learner hands in beside the code for a playground run, and the rules they must meet.

A playground run ("Try it on your own text") trains the learner's code on a text of their
own. The text is checked here before anything is stored, travels in the database
(``submission_inputs``) to the worker, and lands as a plain read-only file in the job's
private workspace, where ``course_harness.own_text_path()`` finds it.

    text, problem = decode_text(uploaded_bytes)          # the page, on upload
    clean = inspect_inputs({OWN_TEXT: text})             # the grading service; raises InputError
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

OWN_TEXT = "own_text.txt"
"""The learner's own text; the harness (which cannot import this module) uses the same name."""
INPUT_NAMES = (OWN_TEXT,)
MAX_OWN_TEXT_BYTES = 1_000_000
MIN_OWN_TEXT_CHARS = 500
MIN_DISTINCT_CHARS = 2
"""Where the sandboxed run finds the handed-in files."""
_SAFE_NAME = re.compile(r"^[a-z0-9_]{1,64}\.txt$")


class InputError(ValueError):
    """A handed-in file breaks a rule; the message says what to do about it."""


def decode_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) for UTF-8 bytes (a leading byte-order mark is dropped), else (None, why not)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, (f"The file is not UTF-8 text (unreadable byte at position {exc.start}). "
                      "Save it as plain text in UTF-8 and upload it again.")
    return text, None


def own_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be used as the learner's own text, in words they can act on; None if it can."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_OWN_TEXT_BYTES:
        return (f"Your text is {size:,} bytes; the limit is {MAX_OWN_TEXT_BYTES:,} (1 MB). "
                "Use a shorter excerpt.")
    if "\x00" in text:
        return "Your text contains NUL characters, so it is probably not a text file. Upload a .txt file."
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return "Your text contains characters that are not valid Unicode. Save it as UTF-8 and upload it again."
    if len(text) < MIN_OWN_TEXT_CHARS:
        return (f"Your text has {len(text):,} characters; the model needs at least {MIN_OWN_TEXT_CHARS:,} "
                "to learn anything. Use a longer text.")
    if len(set(text)) < MIN_DISTINCT_CHARS:
        return (f"Your text uses only {len(set(text))} distinct character(s); a language model needs at least "
                f"{MIN_DISTINCT_CHARS} to have something to predict.")
    return None


def inspect_inputs(inputs: Mapping[str, str | bytes]) -> dict[str, str]:
    """The handed-in files as text, checked; raises InputError naming the first problem."""
    clean: dict[str, str] = {}
    for name, content in inputs.items():
        if name not in INPUT_NAMES:
            raise InputError(f"{name!r} is not a file this platform accepts beside the code "
                             f"(accepted: {', '.join(INPUT_NAMES)}).")
        if isinstance(content, bytes):
            text, problem = decode_text(content)
        elif isinstance(content, str):
            text, problem = content, None
        else:
            raise InputError(f"{name} must be text, not {type(content).__name__}.")
        problem = problem or own_text_problem(text)
        if problem:
            raise InputError(problem)
        clean[name] = text
    return clean


def checked_for_workspace(inputs: Mapping[str, str]) -> dict[str, str]:
    """``inputs`` unchanged if every name is a plain file name and every file within the size cap.

    The service checked them already; the engines check again because they trust only what
    they can see, and a name with a slash must never escape the job's workspace.
    """
    for name, text in inputs.items():
        if not _SAFE_NAME.match(name):
            raise ValueError(f"refusing input file name {name!r}")
        if len(text.encode("utf-8", errors="surrogatepass")) > MAX_OWN_TEXT_BYTES:
            raise ValueError(f"input {name!r} is over {MAX_OWN_TEXT_BYTES} bytes")
    return dict(inputs)


def write_inputs(folder: Path, inputs: Mapping[str, str]) -> None:
    """Write the handed-in files into ``folder`` (a job's workspace), after ``checked_for_workspace``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in checked_for_workspace(inputs).items():
        (folder / name).write_text(text, encoding="utf-8")
