"""A playground for the tiny test exercise, and a text of a learner's own to feed it."""
from __future__ import annotations

import textwrap
from pathlib import Path

# An original text (over the 500-character minimum) standing in for a learner's upload.
LEARNER_TEXT = (
    "Marigold the tortoise keeps a diary of the garden in very slow handwriting.\n"
    "Monday: the hose was coiled like a sleeping snake. Tuesday: a sparrow argued with the bird bath.\n"
    "Wednesday: rain, and the strawberries looked pleased about it. Thursday: nothing, gloriously.\n"
    "Friday: the cat sat on the warm stones and pretended not to see me.\n"
) * 4

PLAYGROUND = textwrap.dedent("""\
    import os

    import torch
    from course_harness import artifacts, get_function, own_text_path

    def test_the_code_meets_the_learners_text():
        path = own_text_path()
        assert path is not None, "no text of the learner's own reached this run"
        text = path.read_text(encoding="utf-8")
        try:
            path.write_text("overwritten by the learner's code")
            writable = True
        except OSError:
            writable = False
        double = get_function("double", "double(x)")
        board = artifacts()
        board.text("own text seen", f"{len(text)} characters, starting {text[:40]!r}")
        board.text("files beside the tests", " ".join(sorted(os.listdir("."))))
        board.text("own text writable", str(writable))
        board.line("doubled length", double(torch.tensor([float(len(text))])).tolist())
        assert double(torch.ones(2)).tolist() == [2.0, 2.0], "double(x) should double every value"
    """)


def add_playground(folder: Path) -> Path:
    """Give the exercise in ``folder`` the playground above, declared in its exercise.yaml."""
    (folder / "tests" / "playground.py").write_text(PLAYGROUND)
    yaml_file = folder / "exercise.yaml"
    yaml_file.write_text(yaml_file.read_text() + "playground: tests/playground.py\n")
    return folder


def artifact_texts(artifacts) -> dict[str, str]:
    """name → text of the text artifacts of a result or a verdict (objects or dicts)."""
    import json

    found = {}
    for a in artifacts:
        record = a if isinstance(a, dict) else json.loads(a.payload)
        if record.get("kind") == "text":
            found[record["name"]] = record["text"]
    return found
