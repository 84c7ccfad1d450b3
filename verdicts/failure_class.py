"""A one-word class for why a test or a run failed, for the lead's analytics.

The checker's messages are sentences for the learner; leads need counts by kind.
"""
from __future__ import annotations

import re

# First match wins: the limits first, then the shape of the mistake.
_CLASSES = (
    ("timeout", r"time limit|timed out"),
    ("memory", r"memory limit|memoryerror|can't allocate memory"),
    ("processes", r"process limit"),
    ("output", r"output limit"),
    ("network", r"network is not available"),
    ("tampered", r"replaced part of the test framework|tampered"),
    ("import", r"could not be imported|importerror|modulenotfounderror|syntaxerror|must define|no `\w+` was found"
               r"|not written yet|notimplementederror"),
    ("shape", r"\bshape\b|size mismatch|must match the size"),
    ("dtype", r"\bdtype\b"),
    ("nan", r"\bnan\b|\binf\b|not finite"),
    ("values", r"differs from the expected|max abs error|expected|assert"),
)
RULE = "rule"
"""The class of a failed rule test (``rules:`` in exercise.yaml): the whole run scores 0."""
ERROR_CLASSES = (RULE,) + tuple(name for name, _ in _CLASSES) + ("crash",)


def error_class(message: str | None) -> str:
    """The class of a failure message; ``crash`` when nothing more specific fits."""
    text = (message or "").lower()
    for name, pattern in _CLASSES:
        if re.search(pattern, text):
            return name
    return "crash"


def submission_error_class(status: str, error_reason: str | None, test_classes: list[str]) -> str | None:
    """One class for a whole submission: its error, else its most common failing-test class."""
    if status == "passed":
        return None
    if status == "error":
        return error_class(error_reason)
    if RULE in test_classes:
        return RULE
    return max(set(test_classes), key=test_classes.count) if test_classes else "crash"
