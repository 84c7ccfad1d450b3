"""Click → verdict in a real browser: Chromium clicks Submit and waits for the new verdict on the page.

    .venv/bin/python bench/browser_latency.py [-n 20] [--exercise scaled-dot-product-attention]

It starts the app the way ``make run`` does (``streamlit run serve.py`` on a throw-away SQLite
data folder, local warm grading, this repository's content; ``bench/sessions.py``'s server),
logs a learner in with Debian's headless Chromium (Playwright) and opens the exercise. Then,
``-n`` times, it types a solution into the editor and clicks *Submit (all tests)*, alternating the
reference solution with one of the exercise's mutants, so each verdict's headline (passed, then
failed) differs from the one already on the page.

The time is taken inside the browser: from the click event in the editor's frame to the moment
the new headline is in the page's document (a MutationObserver), both on the browser's own
clock, so Playwright's polling adds nothing. The first Submit (the page's first grading) is
not counted. The last line is the figure: ``browser click-to-verdict: p50 X s, p95 Y s``
(target: a 0.1 s verdict within 0.3 s of the click).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config import PROJECT_ROOT  # noqa: E402
from courseware.loader import load_bank  # noqa: E402

from sessions import PASSWORD, own_server  # noqa: E402
from verdict_latency import percentile  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEADLINE = "Submit (all tests): {status} —"

# In the editor's frame: remember when Run/Submit was clicked, on the top page's clock variable.
MARK_CLICKS = """() => { document.addEventListener("click", () => { window.top.__clickAt = Date.now(); }, true); }"""
# In the page: note when a headline with the expected status first appears.
WATCH_FOR = """(target) => {
    window.__clickAt = undefined; window.__verdictAt = undefined;
    const seen = () => document.body.textContent.includes(target);
    const observer = new MutationObserver(() => {
        if (window.__verdictAt === undefined && seen()) { window.__verdictAt = Date.now(); observer.disconnect(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def main() -> int:
    """Run the Submits and print the figure; exit 1 when Chromium is missing or a verdict is wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20, help="timed Submits (default 20)")
    parser.add_argument("--exercise", default="scaled-dot-product-attention")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed: run `scripts/system-deps.sh test` (as root)", file=sys.stderr)
        return 1
    spec = load_bank(PROJECT_ROOT).exercises[args.exercise]
    codes = [("passed", spec.solution_path.read_text()), ("failed", spec.mutants[0].read_text())]
    from playwright.sync_api import expect, sync_playwright

    times: list[float] = []
    with own_server(1, None) as (url, names, _data, _proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/exercise?id={args.exercise}")
        page.get_by_role("textbox", name="Username", exact=True).fill(names[0])
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        frame = page.frame_locator("iframe[title*='course_code_editor']")
        expect(frame.locator(".cm-content")).to_be_visible(timeout=60_000)
        frame.locator("body").evaluate(MARK_CLICKS)
        for i in range(args.n + 1):
            status, code = codes[i % 2]
            frame.locator(".cm-content").click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.insert_text(code)
            target = HEADLINE.format(status=status)
            page.evaluate(WATCH_FOR, target)
            frame.get_by_role("button", name="Submit (all tests)").click()
            page.wait_for_function("window.__verdictAt !== undefined && window.__clickAt !== undefined",
                                   timeout=120_000)
            elapsed = page.evaluate("(window.__verdictAt - window.__clickAt) / 1000")
            if i > 0:  # the first grading warms the page's own caches
                times.append(elapsed)
        browser.close()
    print(f"  {len(times)} Submits: mean {statistics.mean(times):.3f} s, max {max(times):.3f} s", file=sys.stderr)
    print(f"browser click-to-verdict: p50 {percentile(times, 50):.3f} s, p95 {percentile(times, 95):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
