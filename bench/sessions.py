"""Concurrent learners against the real Streamlit server, through Streamlit's own websocket protocol.

    .venv/bin/python bench/sessions.py                          # N = 10, 50, 100, 200; about 5 minutes
    .venv/bin/python bench/sessions.py --sessions 10,50 --seconds 30 --think 1,6 --browsers 2
    .venv/bin/python bench/sessions.py --write-accounts people.csv --count 200   # for another deployment:
    .venv/bin/python -m portal users import people.csv          #   there, as its admin
    .venv/bin/python bench/sessions.py --url https://course.example --accounts people.csv

Without ``--url`` it starts its own server the way ``make run`` does (``streamlit run serve.py``, a
throw-away data folder, SQLite, ``CHECKER_BACKEND=local``, this repository's content) and creates
the learners' accounts directly in its database. With ``--url`` it drives a deployment that is
already running; its accounts come from ``--accounts``, the same CSV that ``--write-accounts``
writes and ``python -m portal users import`` creates them from (columns name, username, role,
password; nothing is created through the web).

Each simulated learner is one browser tab speaking the frontend's protocol on ``/_stcore/stream``
(protobuf ``BackMsg`` out, ``ForwardMsg`` in), with the cookies a browser keeps:

1. loads the page over HTTP (the server's middleware gives it its ``course_browser`` cookie), opens
   the websocket and logs in with the form (the two text inputs and the form's submit button);
2. follows the log-in's redirect to ``/auth/session`` over HTTP for the ``course_session`` cookie,
   then reloads (a new websocket carrying the cookie), as the browser does;
3. loops, with seeded random think times between steps: opens a lesson of the track, opens its
   exercise, "types" (the editor component's value ``{"code", "action": null}``, what it sends after
   a pause), clicks Run (the value with ``action: {"kind": "run", …}``: the same message the browser
   sends), then polls the verdict fragment the way the frontend does on the server's ``auto_rerun``
   message (every 0.4 s, ``fragment_id`` and ``is_auto_rerun`` set) until the page reruns without
   a pending verdict; then on to the next lesson.

A *page* time is from sending a rerun ``BackMsg`` to the ``script_finished`` ``ForwardMsg`` that ends
that run; the figure counts the reruns the learners' own actions cause (opening a page, typing,
Run), after every learner of the level has logged in. Log-ins (argon2 on purpose is slow), the
fragment's polls and click-to-verdict times go to stderr, one line per level. An error is a
Python exception drawn on the page, a rerun or verdict that does not come within ``--timeout``, a
refused log-in or a dropped connection; the learner then reloads and goes on.

``--browsers K`` adds K headless Chromium pages (Playwright, Debian's chromium) doing the same loop;
their reruns are timed from the websocket frames they send and receive, into the same figures.

Per N it prints exactly one line on stdout: ``sessions N: page p50 X s, p95 Y s, errors E``.
Everything stays on loopback; the bench and the server share this machine's cores.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import websockets  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from config import PROJECT_ROOT  # noqa: E402
from ports import free_port  # noqa: E402

from verdict_latency import percentile  # noqa: E402

PASSWORD = "bench-learner-password"
POLL_FALLBACK_S = 0.4
"""The verdict fragment's interval (app_pages/exercise.py); the server's ``auto_rerun`` says it."""
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
"""``script_finished`` statuses that end a run; FINISHED_EARLY_FOR_RERUN means another run follows."""


class BenchError(Exception):
    """Something a learner would see as broken (counted as an error)."""


@dataclass
class Stats:
    """What one level measured."""

    page: list[float] = field(default_factory=list)
    poll: list[float] = field(default_factory=list)
    login: list[float] = field(default_factory=list)
    verdict: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    window_s: float = 0.0
    measuring: bool = False
    """False during the log-in ramp: page times then are not part of the figure."""

    def page_time(self, seconds: float) -> None:
        """One rerun caused by a learner's action."""
        if self.measuring:
            self.page.append(seconds)

    def error(self, kind: str) -> None:
        """One error a learner met (counted from the first log-in on)."""
        self.errors[kind] += 1


# ---------------------------------------------------------------------------------------- HTTP

async def http_get(url: str, cookies: dict[str, str], timeout: float) -> tuple[int, dict[str, str], str]:
    """A browser's GET of one address (no redirects followed): status, cookies set, Location."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=parts.scheme == "https" or None), timeout)
    try:
        head = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: text/html", "Connection: close"]
        if cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)  # Connection: close, so EOF ends it
    finally:
        writer.close()
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(header_block[0].split()[1])
    set_cookies: dict[str, str] = {}
    location = ""
    for line in header_block[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "set-cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value.strip())
            set_cookies.update({k: m.value for k, m in jar.items()})
        elif name.lower() == "location":
            location = value.strip()
    return status, set_cookies, location


# ---------------------------------------------------------------------------------------- one tab

class Tab:
    """One browser tab: a websocket session on ``/_stcore/stream`` that asks for reruns the way the
    frontend does and times each one to its ``script_finished``."""

    def __init__(self, base_url: str, cookies: dict[str, str], stats: Stats, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = cookies
        self.stats = stats
        self.timeout = timeout
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.pages: dict[str, str] = {}
        """URL path ("" for the default page) → page script hash, from the ``navigation`` message."""
        self.page_hash = ""
        self.query = ""
        self.widget_ids: dict[str, str] = {}
        """Label (or component name) → widget id, from the elements of the latest runs."""
        self.auto_reruns: dict[str, float] = {}
        self.redirect: str | None = None
        self.exceptions = 0
        self._done: asyncio.Future | None = None

    async def load(self, path: str = "/") -> float:
        """A full page load of ``path``: GET it (cookies), open the websocket, run the page. The run's time."""
        await self.close()
        status, set_cookies, _ = await http_get(self.base_url + path, self.cookies, self.timeout)
        if status >= 400:
            raise BenchError(f"http-{status}")
        self.cookies.update(set_cookies)
        ws_url = "ws" + self.base_url.removeprefix("http") + "/_stcore/stream"
        headers = {"Origin": self.base_url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await asyncio.wait_for(websockets.connect(ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                                            max_size=None, open_timeout=self.timeout), self.timeout)
        self.reader = asyncio.create_task(self._read())
        parts = urlsplit(path)
        self.page_hash, self.query = "", parts.query
        return await self.rerun(page_name=parts.path.strip("/"))

    async def close(self) -> None:
        """Close the websocket (the tab goes away)."""
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader
            self.reader = None
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
            self.ws = None

    async def rerun(self, *, widgets: dict[str, tuple[str, object]] | None = None, page_name: str = "",
                    fragment_id: str = "", auto: bool = False) -> float:
        """Send one rerun ``BackMsg`` and wait for the run to finish; its time in seconds.

        ``widgets``: id → (value field, value), e.g. ``{"$$ID-…": ("string_value", "ada")}``."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.page_name = page_name
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.context_info.url = self.base_url + "/"
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        for widget_id, (kind, value) in (widgets or {}).items():
            entry = state.widget_states.widgets.add()
            entry.id = widget_id
            setattr(entry, kind, value)
        if not fragment_id:
            self.widget_ids.clear()  # the elements of this run say which widgets exist
        self.redirect = None
        self.exceptions = 0
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        try:
            await asyncio.wait_for(asyncio.shield(self._done), self.timeout)
        except asyncio.TimeoutError:
            raise BenchError("timeout") from None
        elapsed = time.perf_counter() - start
        if self.exceptions:
            raise BenchError("exception-on-page")
        return elapsed

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self._handle(raw)
        except websockets.ConnectionClosed:
            pass
        if self._done is not None and not self._done.done():
            self._done.set_exception(BenchError("connection-closed"))

    def _handle(self, raw: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            if msg.delta.WhichOneof("type") != "new_element":
                return
            element = msg.delta.new_element
            etype = element.WhichOneof("type")
            if etype == "exception":
                self.exceptions += 1
            elif etype in ("text_input", "button"):
                widget = getattr(element, etype)
                self.widget_ids[widget.label] = widget.id
            elif etype == "component_instance":
                self.widget_ids[element.component_instance.component_name] = element.component_instance.id
        elif kind == "new_session":
            # A full run starts: the frontend drops its auto-reruns; this run's fragments set them again.
            self.auto_reruns.clear()
            self.page_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash for page in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment_id, None)
        elif kind == "auth_redirect":
            self.redirect = msg.auth_redirect.url
        elif kind == "script_finished" and msg.script_finished in FINISHED:
            if self._done is not None and not self._done.done():
                self._done.set_result(None)

    async def open_page(self, page: str, query: dict[str, str]) -> float:
        """Go to another page of the app (a click on a page link): its run's time."""
        if page not in self.pages:
            raise BenchError(f"no-page-{page}")
        self.page_hash, self.query = self.pages[page], urlencode(query)
        return await self.rerun(page_name=page)

    def widget(self, label: str) -> str:
        """The id of the widget drawn with this label (component: its name) in the latest run."""
        for name, widget_id in self.widget_ids.items():
            if name == label or name.endswith(label):
                return widget_id
        raise BenchError(f"no-widget-{label.replace(' ', '-').lower()}")


# ---------------------------------------------------------------------------------------- a learner

@dataclass(frozen=True)
class Work:
    """One lesson and its exercise, with the code a learner types and runs."""

    lesson: str
    exercise: str
    draft: str
    code: str


def track_work(track_id: str) -> list[Work]:
    """The (lesson, exercise) pairs of a track's modules, with starter (as the draft) and reference code."""
    from courseware.loader import load_bank

    bank = load_bank(PROJECT_ROOT)
    pairs = []
    for module in bank.tracks[track_id].modules:
        lessons = [i.id for i in module.items if i.kind == "lesson" and i.id in bank.lessons]
        exercises = [i.id for i in module.items if i.kind == "exercise" and i.id in bank.exercises]
        for lesson, exercise in zip(lessons, exercises):
            spec = bank.exercises[exercise]
            pairs.append(Work(lesson, exercise, spec.starter, spec.solution_path.read_text()))
    if not pairs:
        raise SystemExit(f"track {track_id!r} has no lesson with an exercise")
    return pairs


class Clock:
    """When a level ends: moved once every learner has logged in, so the measured window is whole."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def running(self) -> bool:
        """True until the level's time is up."""
        return time.monotonic() < self.deadline


async def think(rng: random.Random, span: tuple[float, float], clock: Clock) -> bool:
    """Wait a seeded random think time; False when the level's time is up."""
    await asyncio.sleep(rng.uniform(*span))
    return clock.running()


async def learner(base_url: str, username: str, rng: random.Random, work: list[Work], args: argparse.Namespace,
                  stats: Stats, clock: Clock, logged_in: asyncio.Event) -> None:
    """One learner: log in, then lesson → exercise → type → Run → verdict → next, until the deadline."""
    tab = Tab(base_url, {}, stats, args.timeout)
    try:
        while not logged_in.is_set():
            try:
                await log_in(tab, username, stats)
                logged_in.set()
            except (BenchError, OSError, websockets.WebSocketException, asyncio.TimeoutError) as exc:
                stats.error(_kind(exc))
                if not clock.running():
                    return
                await asyncio.sleep(rng.uniform(*args.think))
        position = rng.randrange(len(work))
        while clock.running():
            try:
                await study(tab, work[position % len(work)], rng, args, stats, clock)
                position += 1
            except (BenchError, OSError, websockets.WebSocketException, asyncio.TimeoutError) as exc:
                if not clock.running():
                    return
                stats.error(_kind(exc))
                await think(rng, args.think, clock)
                with contextlib.suppress(BenchError, OSError, websockets.WebSocketException, asyncio.TimeoutError):
                    await tab.load("/")  # the learner reloads the page (still logged in by the cookie)
    finally:
        await tab.close()


def _kind(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, BenchError) else type(exc).__name__


async def log_in(tab: Tab, username: str, stats: Stats) -> None:
    """The log-in form, then ``/auth/session`` for the cookie, then the page it leads to."""
    await tab.load("/")
    fields = {tab.widget("Username"): ("string_value", username), tab.widget("Password"): ("string_value", PASSWORD),
              tab.widget("Log in"): ("trigger_value", True)}
    start = time.perf_counter()
    await tab.rerun(widgets=fields)
    stats.login.append(time.perf_counter() - start)
    if tab.redirect is None:
        raise BenchError("login-refused")
    # The browser follows the redirect: the ticket becomes the HttpOnly cookie, then the page loads anew.
    status, set_cookies, location = await http_get(tab.base_url + tab.redirect, tab.cookies, tab.timeout)
    tab.cookies.update(set_cookies)
    if "course_session" not in tab.cookies:
        raise BenchError("no-session-cookie")
    await tab.load(urlsplit(location).path or "/")
    if "lesson" not in tab.pages:
        raise BenchError("login-not-kept")


async def study(tab: Tab, item: Work, rng: random.Random, args: argparse.Namespace, stats: Stats,
                clock: Clock) -> None:
    """One lesson and its exercise: read, open, type, Run, wait for the verdict."""
    if not await think(rng, args.think, clock):
        return
    stats.page_time(await tab.open_page("lesson", {"id": item.lesson}))
    if not await think(rng, args.think, clock):
        return
    stats.page_time(await tab.open_page("exercise", {"id": item.exercise}))
    editor = tab.widget("course_code_editor")
    # Typing: the editor sends its text after each pause (ui/editor_frontend/editor.js), each a rerun.
    for draft in (item.draft + "\n# my attempt\n", item.code):
        if not await think(rng, args.think, clock):
            return
        stats.page_time(await tab.rerun(widgets={editor: ("json_value", json.dumps({"code": draft, "action": None}))}))
    click = {"kind": "run", "id": uuid.uuid4().hex, "code": item.code}
    value = {editor: ("json_value", json.dumps({"code": item.code, "action": click}))}
    clicked = time.perf_counter()
    stats.page_time(await tab.rerun(widgets=value))
    # The verdict fragment polls (the frontend's setInterval on the auto_rerun message) until the
    # page reruns in full without a pending verdict.
    while tab.auto_reruns:
        fragment_id, interval = next(iter(tab.auto_reruns.items()))
        await asyncio.sleep(interval or POLL_FALLBACK_S)
        if time.perf_counter() - clicked > args.timeout:
            raise BenchError("no-verdict")
        elapsed = await tab.rerun(widgets=value, fragment_id=fragment_id, auto=True)
        if stats.measuring:
            stats.poll.append(elapsed)
    stats.verdict.append(time.perf_counter() - clicked)


# ---------------------------------------------------------------------------------------- Chromium

async def browser_learner(pw_browser, base_url: str, username: str, rng: random.Random, work: list[Work],
                          args: argparse.Namespace, stats: Stats, clock: Clock) -> None:
    """The same loop in a real Chromium page; its reruns are timed from its own websocket frames."""
    context = await pw_browser.new_context()
    page = await context.new_page()
    sent: dict[int, tuple[float, bool]] = {}

    def on_socket(ws) -> None:
        if "_stcore/stream" not in ws.url:
            return
        key = id(ws)

        def on_sent(payload) -> None:
            if isinstance(payload, (bytes, bytearray)):
                msg = BackMsg()
                with contextlib.suppress(Exception):
                    msg.ParseFromString(bytes(payload))
                    if msg.WhichOneof("type") == "rerun_script":
                        sent[key] = (time.perf_counter(), msg.rerun_script.is_auto_rerun)

        def on_received(payload) -> None:
            if isinstance(payload, (bytes, bytearray)) and key in sent:
                msg = ForwardMsg()
                with contextlib.suppress(Exception):
                    msg.ParseFromString(bytes(payload))
                    if msg.WhichOneof("type") == "script_finished" and msg.script_finished in FINISHED:
                        start, auto = sent.pop(key)
                        if auto and stats.measuring:
                            stats.poll.append(time.perf_counter() - start)
                        elif not auto:
                            stats.page_time(time.perf_counter() - start)

        ws.on("framesent", on_sent)
        ws.on("framereceived", on_received)

    page.on("websocket", on_socket)
    timeout_ms = args.timeout * 1000
    try:
        await page.goto(base_url + "/", timeout=timeout_ms)
        await page.get_by_role("textbox", name="Username", exact=True).fill(username, timeout=timeout_ms)
        await page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.get_by_text("Logged in as").wait_for(timeout=timeout_ms)
        position = rng.randrange(len(work))
        while clock.running():
            item = work[position % len(work)]
            position += 1
            try:
                if not await think(rng, args.think, clock):
                    break
                await page.goto(f"{base_url}/lesson?id={item.lesson}", timeout=timeout_ms)
                await page.get_by_role("button", name="Mark as read ✅").wait_for(timeout=timeout_ms)
                if not await think(rng, args.think, clock):
                    break
                await page.goto(f"{base_url}/exercise?id={item.exercise}", timeout=timeout_ms)
                frame = page.frame_locator("iframe[title*='course_code_editor']")
                await frame.locator(".cm-content").wait_for(timeout=timeout_ms)
                if not await think(rng, args.think, clock):
                    break
                await frame.locator(".cm-content").click()
                await page.keyboard.press("Control+A")
                await page.keyboard.press("Delete")
                await page.keyboard.insert_text(item.code)
                await frame.get_by_role("button", name="▶ Run public tests").click()
                await page.get_by_text("Run (public tests):").first.wait_for(timeout=timeout_ms)
            except Exception as exc:  # a Playwright timeout or a closed page: the learner reloads
                if clock.running():
                    stats.error("browser-" + type(exc).__name__)
    except Exception as exc:
        stats.error("browser-login-" + type(exc).__name__)
    finally:
        await context.close()


# ---------------------------------------------------------------------------------------- levels

async def run_level(base_url: str, accounts: list[str], n: int, args: argparse.Namespace, work: list[Work],
                    seed: int) -> Stats:
    """N learners (and the Chromium pages): they log in over the ramp, then ``--seconds`` are measured."""
    stats = Stats()
    ramp = args.ramp_per_session * n
    clock = Clock(time.monotonic() + ramp + 60 + args.seconds)
    events = [asyncio.Event() for _ in range(n)]
    tasks = []
    for i in range(n):
        rng = random.Random(seed * 100_003 + i)

        async def staggered(i: int = i, rng: random.Random = rng) -> None:
            await asyncio.sleep(ramp * i / n)  # learners arrive spread over the ramp, not all at once
            await learner(base_url, accounts[i], rng, work, args, stats, clock, events[i])
        tasks.append(asyncio.create_task(staggered()))
    browser_tasks, close_browsers = await start_browsers(base_url, accounts[n:n + args.browsers], args, work, stats,
                                                         clock, seed)
    # The window starts once everyone is in (or a minute after the ramp, when some never get in).
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), ramp + 60)
    stats.measuring = True
    measured_from = time.monotonic()
    print(f"  [{n}] {sum(e.is_set() for e in events)} of {n} logged in; measuring {args.seconds:.0f} s",
          file=sys.stderr, flush=True)
    clock.deadline = measured_from + args.seconds
    await asyncio.gather(*tasks, *browser_tasks)
    stats.measuring = False
    stats.window_s = time.monotonic() - measured_from
    if close_browsers is not None:
        await close_browsers()
    return stats


async def warm_up(base_url: str, username: str, work: list[Work], args: argparse.Namespace) -> None:
    """One learner through every page once, not measured: first runs import and cache what later ones reuse."""
    stats = Stats()
    tab = Tab(base_url, {}, stats, args.timeout)
    quick = argparse.Namespace(**{**vars(args), "think": (0.0, 0.0)})
    try:
        for attempt in range(3):  # the very first run starts the platform (content, pool)
            try:
                await log_in(tab, username, stats)
                break
            except BenchError as exc:
                print(f"  warm-up log-in: {exc}; again", file=sys.stderr)
                await asyncio.sleep(2)
        for item in work:
            await study(tab, item, random.Random(0), quick, stats, Clock(float("inf")))
    finally:
        await tab.close()


async def start_browsers(base_url, accounts, args, work, stats, clock, seed):
    """Start the Chromium learners; (their tasks, a coroutine function that closes the browser)."""
    if not accounts:
        return [], None
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=chromium, headless=True,
                                       args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
    tasks = [asyncio.create_task(browser_learner(browser, base_url, name, random.Random(seed * 7 + i), work, args,
                                                 stats, clock)) for i, name in enumerate(accounts)]

    async def close() -> None:
        await browser.close()
        await pw.stop()
    return tasks, close


def report(n: int, stats: Stats) -> None:
    """The level's one stdout line, and what else it measured on stderr."""
    errors = sum(stats.errors.values())
    page = stats.page or [float("nan")]
    print(f"sessions {n}: page p50 {percentile(page, 50):.3f} s, p95 {percentile(page, 95):.3f} s, errors {errors}",
          flush=True)

    def figures(values: list[float]) -> str:
        if not values:
            return "none"
        return f"p50 {percentile(values, 50):.3f} s, p95 {percentile(values, 95):.3f} s ({len(values)})"
    kinds = ", ".join(f"{k}={v}" for k, v in sorted(stats.errors.items()))
    print(f"  [{n}] pages {len(stats.page)} in {stats.window_s:.0f} s; log-in {figures(stats.login)}; "
          f"verdict polls {figures(stats.poll)}; click-to-verdict {figures(stats.verdict)}"
          + (f"; errors: {kinds}" if kinds else ""), file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- the server

@contextlib.contextmanager
def own_server(count: int, log_keep: Path | None) -> Iterator[tuple[str, list[str], Path, subprocess.Popen]]:
    """``streamlit run serve.py`` on a throw-away data folder with ``count`` learner accounts."""
    from db import users
    from db.engine import make_engine, session_factory
    from db.migrate import upgrade
    from db.models import User

    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        data = Path(tmp)
        env = {**os.environ, "COURSE_DATA_DIR": str(data), "COURSE_CONTENT_DIR": str(PROJECT_ROOT),
               "MODELS_AUTOBUILD": "no",
               "CHECKER_BACKEND": "local"}
        env.pop("DATABASE_URL", None)  # SQLite in the data folder
        engine = make_engine(f"sqlite:///{data / 'course.db'}")
        upgrade(engine)
        names = [f"learner{i:03d}" for i in range(count)]
        with session_factory(engine)() as session:
            admin = users.create_user(session, "bench-admin", PASSWORD, role="admin")  # no first-run form
            # One argon2 hash for all (same password): hashing 200 of them would take a minute.
            session.add_all(User(username=name, display_name=f"Learner {name[7:]}", password_hash=admin.password_hash,
                                 role="learner") for name in names)
            session.commit()
        engine.dispose()
        port = free_port()
        log_path = data / "streamlit.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "serve.py"), "--server.address",
                 "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"], cwd=PROJECT_ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start:\n" + log_path.read_text(errors="replace")[-3000:])
                with contextlib.suppress(OSError):
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                        break
                time.sleep(0.3)
            yield url, names, data, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            if log_keep is not None:
                shutil.copyfile(log_path, log_keep)


def wait_for_grading(data: Path, limit_s: float = 90) -> None:
    """Between levels: let the queue of the last level's Runs empty, so the next starts clean."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(data / "course.db", timeout=10)) as db:
            left = db.execute("SELECT count(*) FROM submissions WHERE status IN ('queued', 'running')").fetchone()[0]
        if not left:
            return
        time.sleep(0.5)


def server_rss_mib(pid: int) -> float:
    """The server process's resident memory (Linux), to see what its sessions hold."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def read_accounts(path: Path) -> list[str]:
    """Usernames from the import CSV (``--write-accounts``); their password is the bench's own."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if any(row.get("password") != PASSWORD for row in rows):
        raise SystemExit(f"{path}: every row needs the password the bench logs in with ({PASSWORD})")
    return [row["username"] for row in rows]


def write_accounts(path: Path, count: int) -> None:
    """A CSV for ``python -m portal users import``: ``count`` learners with the bench's password."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["name", "username", "role", "password"])
        for i in range(count):
            out.writerow([f"Learner {i:03d}", f"learner{i:03d}", "learner", PASSWORD])


# ---------------------------------------------------------------------------------------- main

def span(text: str) -> tuple[float, float]:
    """``"2,9"`` → (2.0, 9.0); one number is a fixed time."""
    low, _, high = text.partition(",")
    return float(low), float(high or low)


def main() -> int:
    """Parse the options, run each level, print its line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="10,50,100,200", help="the levels N, comma-separated")
    parser.add_argument("--seconds", type=float, default=40, help="measured time per level, after the log-ins")
    parser.add_argument("--think", type=span, default=(2.0, 10.0), help="think time range in seconds (lo,hi)")
    parser.add_argument("--ramp-per-session", type=float, default=0.1,
                        help="log-ins arrive over N × this many seconds")
    parser.add_argument("--timeout", type=float, default=60, help="a rerun or a verdict slower than this is an error")
    parser.add_argument("--browsers", type=int, default=0, help="real Chromium pages doing the same loop")
    parser.add_argument("--track", default="first-steps", help="the track whose lessons and exercises they study")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--url", help="an app already running (then --accounts is needed)")
    parser.add_argument("--accounts", type=Path, help="with --url: the CSV made by --write-accounts and imported")
    parser.add_argument("--write-accounts", type=Path, help="write an import CSV of --count learners and exit")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--server-log", type=Path, help="keep the own server's log here")
    parser.add_argument("--server-pid", type=Path, help="write the own server's pid here (for a profiler)")
    args = parser.parse_args()
    if args.write_accounts:
        write_accounts(args.write_accounts, args.count)
        print(f"{args.write_accounts}: {args.count} learners; import them with "
              f"`python -m portal users import {args.write_accounts}`")
        return 0
    levels = [int(n) for n in args.sessions.split(",") if n.strip()]
    need = max(levels) + args.browsers
    work = track_work(args.track)
    if args.url:
        if args.accounts is None:
            parser.error("--url needs --accounts (see --write-accounts)")
        accounts = read_accounts(args.accounts)
        if len(accounts) < need:
            parser.error(f"{args.accounts} has {len(accounts)} accounts; the largest level needs {need}")
        for n in levels:
            report(n, asyncio.run(run_level(args.url, accounts, n, args, work, args.seed + n)))
        return 0
    # One more account than the levels use: the warm-up's.
    with own_server(need + 1, args.server_log) as (url, accounts, data, proc):
        if args.server_pid:
            args.server_pid.write_text(str(proc.pid))
        asyncio.run(warm_up(url, accounts[need], work, args))
        for n in levels:
            wait_for_grading(data)
            report(n, asyncio.run(run_level(url, accounts, n, args, work, args.seed + n)))
            print(f"  [{n}] server memory {server_rss_mib(proc.pid):.0f} MiB", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
