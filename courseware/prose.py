"""Wording rules for text that several tracks share: lesson bodies and exercise prompts.

A lesson or an exercise sits in different places in different tracks (week 2 in one, day 6
in another, missing from a third), so its text must never say where it sits or where another
item sits: "the next lesson", "last week", "as we saw", "later in the course" are each wrong
in some track. To point at another item, write a reference instead:

    [[lesson:learning-rate-schedules]]     [[exercise:stable-softmax]]

The page shows the item's title with where it sits in the learner's own track ("in Week 3 of
this track", or "not part of this track"). The loader refuses relative-order phrases and
references to ids that do not exist; the phrases it refuses are listed once, here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

REFERENCE = re.compile(r"\[\[(lesson|exercise):([a-z0-9][a-z0-9-]*)\]\]")
"""A cross-reference to another item: ``[[lesson:id]]`` or ``[[exercise:id]]``."""
LOOSE_REFERENCE = re.compile(r"\[\[\s*(?:lessons?|exercises?)\b[^\]\n]*\]\]", re.IGNORECASE)
"""Anything that looks like an attempt at a reference; those REFERENCE does not match are typos."""

_PLACES = r"(?:lessons?|modules?|weeks?|exercises?|labs?|notebooks?)"
_ORDER = r"(?:next|previous|prior|last|coming|upcoming|following|preceding|earlier|later|subsequent)"
RELATIVE_ORDER: tuple[str, ...] = (
    rf"\b{_ORDER}\s+{_PLACES}\b",                                  # the next lesson, last week, earlier exercises
    r"\bthis\s+week(?:'s|’s)?\b",                                  # this week's exercise
    r"\blast\s+time\s+(?:you|we)\b",                               # last time you wrote ...
    r"\bas\s+(?:we|you)\s+(?:saw|have\s+seen|learned|learnt|have\s+learned|discussed|found)\b"
    r"(?!\s+(?:above|below|in\s+this\s+(?:lesson|exercise)))",     # as we saw (but: as we saw above)
    r"\b(?:we|you)\s+(?:saw|have\s+seen|met|have\s+met|learned|learnt|covered|built|wrote|discussed)"
    r"(?:\s+\w+)?\s+(?:earlier|previously)\b",                     # we saw earlier, you built it previously
    r"\blater\s*(?:\([^)]*\)\s*)?,?\s*(?:we|you)\s*(?:will|'ll|’ll|are\s+going\s+to)\b",  # later we will
    r"\b(?:earlier|later)\s+in\s+(?:the|this)\s+(?:course|track|programme|program|series|module)\b",
    r"\bin\s+(?:a|an|the)\s+(?:later|future|earlier)\s+(?:part|section)\s+of\s+(?:the|this)\s+(?:course|track)\b",
    rf"\b{_PLACES}(?:\s+and\s+(?:the\s+)?{_PLACES})?\s+(?:that|which)\s+(?:follows?|comes?\s+next|came\s+before|precedes?)\b",
    rf"\b{_PLACES}\s+(?:ahead|to\s+come|(?:before|after)\s+this\s+one)\b",  # the lessons ahead
)
"""Phrases that place an item in an order, each a case-insensitive regular expression. They are
wrong in some track; "the next token", "the previous layer", "next-token prediction" and "the
next section" (of the same lesson) are fine and do not match, and so are "the later chapters"
or "lectures" of an outside resource, which keep their order in every track."""
_PHRASES = re.compile("|".join(f"(?:{p})" for p in RELATIVE_ORDER), re.IGNORECASE)
_CODE = re.compile(r"^(```|~~~).*?^\1[^\n]*$|`[^`\n]*`", re.S | re.M)


@dataclass(frozen=True)
class Slip:
    """One relative-order phrase found in a text."""

    line: int
    """1-based line of the text the phrase starts on."""
    phrase: str


def relative_order_phrases(text: str) -> list[Slip]:
    """Every relative-order phrase in ``text`` outside code (fenced blocks and `inline code`)."""
    prose = _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)  # keep line numbers
    return [Slip(prose.count("\n", 0, m.start()) + 1, " ".join(m.group(0).split()))
            for m in _PHRASES.finditer(prose)]


def references(text: str) -> list[tuple[str, str]]:
    """The ``(kind, id)`` pairs of the references in ``text``, in order, each once."""
    seen: dict[tuple[str, str], None] = {}
    for m in REFERENCE.finditer(text):
        seen.setdefault((m.group(1), m.group(2)), None)
    return list(seen)


def malformed_references(text: str) -> list[str]:
    """Reference-like snippets that are not valid references (``[[lessons:x]]``, ``[[lesson: X]]``)."""
    return [m.group(0) for m in LOOSE_REFERENCE.finditer(text) if not REFERENCE.fullmatch(m.group(0))]


def slip_message(slip: Slip, what: str) -> str:
    """The loader's message for one phrase; ``what`` is "lesson" or "exercise prompt"."""
    return (f"says {slip.phrase!r}: a {what} is shared by several tracks, so an order is wrong in some of "
            f"them; point to the item with a reference such as [[lesson:<id>]] or [[exercise:<id>]] (the page "
            f"shows where it sits in the learner's own track), or reword without an order")
