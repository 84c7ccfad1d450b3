"""Each seed track that follows a syllabus, on its track page (AppTest, the real content): every module's
title, and in that module's box every one of its outside resources, as a link where it has an address
(``ui/resources.py``)."""
from __future__ import annotations

from streamlit.testing.v1.element_tree import Block

from app_fixtures import add_user, app_env, logged_in  # noqa: F401  (app_env: fixture)
from courseware.loader import load_bank


def markdown_link(title: str, url: str) -> str:
    """A Markdown link to ``url`` labelled ``title`` (brackets in the title escaped)."""
    return "[" + title.replace("[", "\\[").replace("]", "\\]") + f"]({url})"


def module_boxes(block) -> dict[str, list[str]]:
    """Each innermost block holding exactly one subheader (a module's bordered box): subheader → its Markdown."""
    found = {}
    for child in block.children.values():
        if isinstance(child, Block):
            inner = module_boxes(child)
            if not inner and len(child.subheader) == 1:
                found[child.subheader[0].value] = [m.value for m in child.markdown]
            found.update(inner)
    return found


def test_each_seed_track_page_shows_every_module_with_its_resources(app_env):
    bank = load_bank(app_env.content_dir)
    seed_tracks = sorted(t.id for t in bank.tracks.values() if t.syllabus)
    assert len(seed_tracks) == 5 and "wids-5-coding-a-gpt" in seed_tracks, seed_tracks
    with_resources = {t for t in seed_tracks if any(m.resources for m in bank.tracks[t].modules)}
    # ai-researcher-path's syllabus names no video, article, course or book.
    assert with_resources == set(seed_tracks) - {"ai-researcher-path"}, with_resources
    add_user(app_env)
    at = logged_in(app_env)  # one log-in, then each track picked in turn (a fresh app per track costs ~15 s)
    missing = []
    for track_id in seed_tracks:
        track = bank.tracks[track_id]
        at.selectbox(key="track_picker").set_value(track_id).run()
        assert not at.exception, (track_id, at.exception)
        assert [t.value for t in at.title] == [track.title], track_id
        boxes = module_boxes(at.main)
        assert len(boxes) == len(track.modules), (track_id, sorted(boxes))
        for module in track.modules:
            # The subheader is "<title>  ·  <done>/<total>".
            box = next((text for header, text in boxes.items() if header.startswith(f"{module.title}  ·  ")), None)
            if box is None:
                missing.append((track_id, module.id, "module title not shown"))
                continue
            shown = "\n".join(box)
            assert ("**Outside resources**" in box) == bool(module.resources), (track_id, module.id)
            for resource in module.resources:
                expected = markdown_link(resource.title, resource.url) if resource.url else f"*{resource.title}*"
                if expected not in shown:
                    missing.append((track_id, module.id, resource.title, resource.url))
        assert not at.get("video"), track_id  # links only, until the learner asks for players
    assert not missing, missing
