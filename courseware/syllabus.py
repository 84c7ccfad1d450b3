"""Parse a syllabus (a plain-text, Markdown-like course outline) into the items a track must cover.

    from courseware.syllabus import parse_syllabus
    items = parse_syllabus(path.read_text(encoding="utf-8"))

An item is every heading, every bullet or numbered line (a *lab* when it sits under a heading about
labs, exercises, experiments or an assignment) and every link (``[text](url)`` or a bare URL).
A bullet made of links is counted as its links only, so one line is never counted twice. Code
blocks and plain paragraphs are not items.

Each item gets an id made of the ASCII words of its text (``forward-and-backward-propagation``).
When that is not unique in the file, the enclosing headings are put in front of it, the nearest
first, until it is (``stage-1-mathematical-foundations/hands-on-pytorch-exercises``), so the id
reads like the syllabus and depends only on the syllabus's own text. Tracks name items by this
id (``covers:`` in ``lessons/tracks/*.yaml``); ``item.text`` keeps the exact text for reports.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from config import PROJECT_ROOT

SYLLABI_DIR = PROJECT_ROOT.parent / "shared" / "syllabi"
"""Where the syllabi live beside a checkout (``../shared/syllabi``); the app runs without them."""

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*?)\s*$")
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
BARE_URL = re.compile(r"(?<![(\w])https?://[^\s)<>\]]+")
FENCE = re.compile(r"^\s*(```|~~~)")
BOLD_LINE = re.compile(r"^\*\*([^*]+?)\*\*\s*$")
"""A line that is only bold text ("**Day 1: Modern AI Engineering Landscape**") titles what follows:
it is read as a heading below every ``#`` level."""
BOLD_LEVEL = 7
LAB_HEADING = re.compile(r"\b(labs?|exercises?|experiments?|hands-on|assignment)\b", re.IGNORECASE)
"""Bullets under a heading like these are labs: work the learner does, not a topic to read about."""
SLUG_CHARS = 60
"""Longest id word run, cut at a word boundary, so an id stays readable in a track file."""


class SyllabusError(LookupError):
    """A syllabus file is not where a track says it is."""


@dataclass(frozen=True)
class SyllabusItem:
    """One thing a syllabus asks for."""

    id: str
    """Stable within its file: the slug of its text, prefixed by headings where needed."""
    kind: str
    """``heading``, ``bullet``, ``lab`` or ``link``."""
    text: str
    """Exactly as written: a heading's or bullet's text, a link's text (or the label before a bare URL)."""
    line: int
    """1-based line in the file."""
    url: str = ""
    """For links: the address, exactly as written."""
    section: tuple[str, ...] = ()
    """The headings the item sits under, outermost first (its own text not included)."""


def slug(text: str) -> str:
    """Lowercase ASCII words of ``text`` joined by '-', at most SLUG_CHARS long (whole words)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > SLUG_CHARS and out:
            break
        out = candidate
    return out or "item"


def _links(text: str) -> list[tuple[str, str]]:
    """(text, url) of each link on a line: Markdown links, then bare URLs labelled by what precedes them."""
    found = [(m.group(1).strip(), m.group(2)) for m in MARKDOWN_LINK.finditer(text)]
    rest = MARKDOWN_LINK.sub(" ", text)
    for match in BARE_URL.finditer(rest):
        url = match.group(0).rstrip(".,;:")
        label = rest[:match.start()].strip().rstrip(":").strip()
        found.append((label or url, url))
    return found


def _only_links(text: str) -> bool:
    """Whether a bullet is nothing but its links (and a label before a bare URL)."""
    rest = BARE_URL.sub("", MARKDOWN_LINK.sub("", text))
    return not re.search(r"\w", rest) or bool(BARE_URL.search(text) and not MARKDOWN_LINK.search(text)
                                               and rest.strip().endswith(":"))


@dataclass
class _Raw:
    kind: str
    text: str
    line: int
    url: str
    section: tuple[str, ...]


def _scan(text: str) -> list[_Raw]:
    """Items in file order, with the heading path each sits under."""
    raws: list[_Raw] = []
    stack: list[tuple[int, str]] = []  # (level, heading text) of the enclosing headings
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_code = not in_code
            continue
        if in_code or not line.strip():
            continue
        section = tuple(t for _, t in stack)
        heading = HEADING.match(line)
        bold = BOLD_LINE.match(line)
        if heading or bold:
            level, title = (len(heading.group(1)), heading.group(2)) if heading else (BOLD_LEVEL, bold.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            raws.append(_Raw("heading", title, number, "", tuple(t for _, t in stack)))
            stack.append((level, title))
            continue
        bullet = BULLET.match(line)
        links = _links(bullet.group(2) if bullet else line)
        if bullet and not (links and _only_links(bullet.group(2))):
            kind = "lab" if any(LAB_HEADING.search(h) for h in section) else "bullet"
            raws.append(_Raw(kind, bullet.group(2), number, "", section))
        raws.extend(_Raw("link", label, number, url, section) for label, url in links)
    return raws


def _assign_ids(raws: list[_Raw]) -> list[str]:
    """The shortest heading-prefixed slug that no other item shares (then -2, -3 for true twins)."""
    paths = [[slug(h) for h in r.section] + [slug(r.text)] for r in raws]
    ids: list[str | None] = [None] * len(raws)
    depth = 1
    while any(i is None for i in ids) and depth <= max(len(p) for p in paths):
        candidates = ["/".join(p[-depth:]) for p in paths]
        for n, candidate in enumerate(candidates):
            if ids[n] is None and (candidates.count(candidate) == 1 or depth >= len(paths[n])) \
                    and candidate not in ids:
                ids[n] = candidate
        depth += 1
    seen: dict[str, int] = {}
    out = []
    for n, found in enumerate(ids):
        base = found or "/".join(paths[n])
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def parse_syllabus(text: str) -> list[SyllabusItem]:
    """Every heading, bullet, lab and link of a syllabus, in file order, each with a unique id."""
    raws = _scan(text)
    if not raws:
        return []
    return [SyllabusItem(item_id, r.kind, r.text, r.line, r.url, r.section)
            for item_id, r in zip(_assign_ids(raws), raws)]


def syllabus_path(name: str, folder: Path | None = None) -> Path:
    """The syllabus file ``name`` (as a track names it) in ``folder`` (default ``../shared/syllabi``);
    raise SyllabusError saying where it was looked for."""
    folder = SYLLABI_DIR if folder is None else folder
    if not folder.is_dir():
        raise SyllabusError(f"the syllabi folder {folder} does not exist; put the syllabus files there "
                            "(beside this checkout, in ../shared/syllabi) or pass --syllabi DIR")
    path = folder / name
    if not path.is_file():
        raise SyllabusError(f"syllabus {name!r} is not in {folder}")
    return path


def load_syllabus(name: str, folder: Path | None = None) -> list[SyllabusItem]:
    """Parse the syllabus file ``name``; raise SyllabusError when it is missing."""
    return parse_syllabus(syllabus_path(name, folder).read_text(encoding="utf-8"))
