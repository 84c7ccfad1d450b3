"""A small syllabus and a content tree whose track follows it, with resources: for the parser, the
loader's resource checks, ``python -m courseware coverage`` and the track page.

A fixture module, not a test module: tests import from here.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import write_content

SYLLABUS_NAME = "007_tiny.txt"
SYLLABUS = textwrap.dedent("""\
    # Tiny Course 🎯

    ## Week 1 Resources
    [Intro video](https://www.youtube.com/watch?v=abc123XYZ_0) or read [the notes](https://example.org/notes).
    Plain paragraphs are not items.

    ### Topics
    - Doubling numbers
    - [ ] Halving numbers
      - Odd numbers
    ```
    - not an item: inside code
    ```

    ### Labs
    1. **Doubling:**
       - Write double(x)
    - Tools: https://example.org/tools

    ## Week 2 Resources
    **Step 1:**
    - Doubling numbers
    - [watch videos 3 to 5](https://www.youtube.com/watch?v=abc123XYZ_0&list=PLx)
    - Join a study group
    """)
"""Headings (#, ##, ###, a bold line), bullets, a checkbox, a nested bullet, labs, links, a bare URL,
a code block, and an item text used twice (in two weeks)."""

TRACK = textwrap.dedent(f"""\
    id: tiny
    title: Tiny track
    description: A track for tests.
    syllabus: {SYLLABUS_NAME}
    covers: [tiny-course]
    modules:
      - id: week-1
        title: Week 1
        week: 1
        covers: [week-1-resources, topics, labs]
        resources:
          - title: Intro video
            url: https://www.youtube.com/watch?v=abc123XYZ_0
            kind: video
            note: "the first 10 minutes"
            covers: [intro-video]
          - title: the notes
            url: https://example.org/notes
            kind: article
            required: false
            covers: [the-notes]
          - title: A Book Without An Address
            kind: book
            required: false
        items:
          - lesson: doubling
            covers: [topics/doubling-numbers, halving-numbers, odd-numbers]
          - exercise: double
            covers: [doubling, write-double-x]
          - exercise: not-written-yet
            coming: true
      - id: week-2
        title: Week 2
        week: 2
        covers: [week-2-resources, step-1]
        resources:
          - title: watch videos 3 to 5
            url: https://www.youtube.com/watch?v=abc123XYZ_0&list=PLx
            kind: playlist items
            note: "videos 3–5"
            covers: [watch-videos-3-to-5]
        not_covered:
          join-a-study-group: "a study group meets outside the platform"
        items:
          - lesson: doubling
            covers: [step-1/doubling-numbers]
    """)
"""Covers every item of SYLLABUS but the bare-URL link ``tools`` (one gap, for the report)."""


def write_syllabus_tree(root: Path) -> tuple[Path, Path]:
    """The minimal content tree with TRACK as its track, and a syllabi folder holding SYLLABUS;
    returns (content root, syllabi folder)."""
    write_content(root / "content")
    (root / "content" / "lessons" / "tracks" / "tiny.yaml").write_text(TRACK, encoding="utf-8")
    syllabi = root / "syllabi"
    syllabi.mkdir()
    (syllabi / SYLLABUS_NAME).write_text(SYLLABUS, encoding="utf-8")
    return root / "content", syllabi


@pytest.fixture
def syllabus_tree(tmp_path: Path) -> tuple[Path, Path]:
    """(content root, syllabi folder) of write_syllabus_tree."""
    return write_syllabus_tree(tmp_path)
