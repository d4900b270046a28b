"""Browser tests: the real `xietong` command line serving a demo database, driven by
Debian's headless Chromium through Playwright's sync API, at phone size.

One server runs for the whole session (the demo is prepared by `xietong demo` in a
subprocess, with cheap Argon2 settings, on a fake clock that starts at the real time and
that tests move forward with `move_clock`); every test gets a fresh browser context, so
cookies and language choices never leak between tests. A failing test leaves a
full-page screenshot in test-artifacts/<test name>.png.

Every page of every context made by `new_phone_context` (the `phone` fixture uses it) is
watched for the whole test (`BrowserWatch`): a console error, an uncaught script error or a
request to any host but the test server fails the test, and each page the test passes is
saved, as the phone shows it (390 x 844 CSS px), to test-artifacts/<test>/<nn>-<path>.png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.services.demo import DEMO_PASSWORD
from tests.realtime.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# device pixels as CSS pixels: the layout is the same at any scale, and the software renderer (no GPU
# here) drew 9x the pixels at a phone's 3x for nothing the tests look at (tests/e2e -n 2: 154 s -> 139 s)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
START_TIMEOUT_S = 15.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@dataclass(frozen=True)
class Server:
    url: str
    db_path: Path
    sim_url: str = ""      # the SMS gateway simulator beside it

    def sim(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.sim_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def sms_to(self, phone: str, containing: str, timeout: float = 15) -> list[dict[str, Any]]:
        """The SMS the gateway got for a phone that mention `containing` (waits, bounded, for the
        sender process to hand them over: network time, not business time)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.sim("GET", f"/_sim/messages?phone=%2B{phone.lstrip('+')}")
                     if m["to"] == phone and containing in m["body"]]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)   # another process hands the SMS over: network time, not business time


def _page_answered_4xx(page_url: str, location: str, text: str) -> bool:
    """A page the server answers with 4xx (a wrong code, a bad form) is a page the test reads
    and checks; Chromium logs the status of the document itself as an error."""
    return (location == page_url and text.startswith("Failed to load resource")
            and re.search(r"status of 4\d\d", text) is not None)


def _api_call_after_the_session_ended(page_url: str, location: str, text: str) -> bool:
    """Tests move the fake clock past the idle limit with pages open: their next JSON call
    (e.g. the tab bar's GET /api/badges) is a 401, and the page goes to the login page."""
    return (text.startswith("Failed to load resource") and "status of 401" in text
            and "/api/" in location)


def _while_offline(page_url: str, location: str, text: str) -> bool:
    """A test that cuts the phone's network (`set_offline`) sees the page try to reconnect, and,
    when its socket hears of news just before the cut, the refresh of its list fail (it is fetched
    again once the network is back)."""
    return "ERR_INTERNET_DISCONNECTED" in text and (
        text.startswith(("WebSocket connection to", "Failed to load resource")))


# console errors that are not a fault of a page: the one place to list them, each with why
EXPECTED_CONSOLE_ERRORS = (_page_answered_4xx, _api_call_after_the_session_ended, _while_offline)


class BrowserWatch:
    """What one test's browser pages did: problems that fail the test, and one screenshot per
    page loaded (viewport only, at CSS-pixel scale, so it is cheap and small)."""

    def __init__(self, test_name: str, allowed_origins: tuple[str, ...]) -> None:
        self.dir = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)[:120]
        self.allowed = allowed_origins
        self.problems: list[str] = []
        self.shots = 0
        self.last_shot: dict[int, str] = {}     # id(page) -> the URL last saved
        self.closing: set[int] = set()          # id(context)s being closed
        shutil.rmtree(self.dir, ignore_errors=True)

    def allowed_url(self, url: str) -> bool:
        return url.startswith(("data:", "blob:", "about:")) or any(
            url == o or url.startswith(o + "/") for o in self.allowed)

    def on_request(self, request: Any) -> None:
        if not self.allowed_url(request.url):
            self.problems.append(f"request that leaves the test server: {request.method} {request.url}")

    def on_websocket(self, ws: Any) -> None:
        http_url = re.sub(r"^ws", "http", ws.url)
        if not self.allowed_url(http_url):
            self.problems.append(f"websocket that leaves the test server: {ws.url}")

    def on_console(self, page: Any, message: Any) -> None:
        if message.type != "error":
            return
        location = str((message.location or {}).get("url", ""))
        if any(expected(page.url, location, message.text) for expected in EXPECTED_CONSOLE_ERRORS):
            return
        self.problems.append(f"console error on {page.url}: {message.text} ({location or '?'})")

    def on_pageerror(self, page: Any, error: Any) -> None:
        self.problems.append(f"script error on {page.url}: {error}")

    def shoot(self, page: Any) -> None:
        from urllib.parse import urlsplit

        from playwright.sync_api import Error as PlaywrightError
        parts = urlsplit(page.url)
        if page.is_closed() or not self.allowed_url(page.url) or parts.scheme not in ("http", "https"):
            return
        self.last_shot[id(page)] = page.url
        name = re.sub(r"[^\w-]+", "-", parts.path.strip("/")).strip("-")[:60] or "home"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.shots += 1     # reserved first: another page's load may be handled during the shot
        path = self.dir / f"{self.shots:02d}-{name}.png"
        try:
            page.screenshot(path=str(path), scale="css", animations="disabled", timeout=5000)
        except PlaywrightError as exc:   # the page went on (navigated away): not the test's fault
            if not page.is_closed():
                print(f"could not save a screenshot of {page.url}: {exc}", file=sys.stderr)

    def attach(self, context: Any) -> None:
        context.on("request", self.on_request)
        context.on("page", lambda page: self.attach_page(context, page))
        close = context.close

        def close_after_last_shots(*args: Any, **kwargs: Any) -> Any:
            # a test often closes the context right after the page it came for has loaded,
            # before that load's handler had its turn: take each page's last state now
            self.closing.add(id(context))
            for page in list(context.pages):
                if self.last_shot.get(id(page)) != page.url:
                    self.shoot(page)
            return close(*args, **kwargs)
        context.close = close_after_last_shots

    def attach_page(self, context: Any, page: Any) -> None:
        page.on("console", lambda message: self.on_console(page, message))
        page.on("pageerror", lambda error: self.on_pageerror(page, error))
        page.on("websocket", self.on_websocket)
        page.on("load", lambda _page: None if id(context) in self.closing else self.shoot(page))


_watch: BrowserWatch | None = None     # the running test's, set by the autouse fixture below


@pytest.fixture(autouse=True)
def browser_watch(request: pytest.FixtureRequest, server: Server) -> Iterator[BrowserWatch]:
    """Every browser test fails on a console error, a script error or a request leaving the
    test server (the SMS simulator on 127.0.0.1 counts as the server's), and keeps a
    screenshot of each page it passes."""
    global _watch
    watch = BrowserWatch(request.node.name, (server.url, server.sim_url))
    _watch = watch
    try:
        yield watch
    finally:
        _watch = None
    call = getattr(request.node, "rep_call", None)
    if watch.problems and call is not None and call.passed:
        pytest.fail("the browser saw problems:\n" + "\n".join(dict.fromkeys(watch.problems)),
                    pytrace=False)




def server_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIETONG_")}
    env.update({
        "XIETONG_STORE_PATH": str(db_path),
        "XIETONG_OTP_KEY_FILE": str(db_path.parent / "otp.key"),   # not ./data/otp.key of the checkout
        "XIETONG_SEALS_AUTHORITY_PASSPHRASE_FILE": str(db_path.parent / "seal-authority.pass"),  # by `xietong demo`
        "XIETONG_PASSWORDS_ARGON2_MEMORY_KIB": "1024",
        "XIETONG_PASSWORDS_ARGON2_TIME_COST": "1",
        "XIETONG_PASSWORDS_ARGON2_PARALLELISM": "1",
        # a fake clock (starting at the real time) that tests move through POST /_test/clock
        "XIETONG_CLOCK_FAKE": "true",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="xietong-e2e-") as tmp:
        db_path = Path(tmp) / "xietong.db"
        env = server_env(db_path)
        # the organisation only: the demo's past items would send their SMS when the server starts
        demo = subprocess.run([sys.executable, "-m", "webapp.cli", "demo", "--without-items"], env=env, cwd=ROOT, check=False,
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if demo.returncode != 0:
            pytest.fail(f"`xietong demo` failed ({demo.returncode}):\n{demo.stdout}\n{demo.stderr}")
        port, sim_port = free_port(), free_port()
        url = f"http://127.0.0.1:{port}"
        # SMS go through the real twilio client to the Twilio-compatible simulator on 127.0.0.1
        env.update({"XIETONG_SMS_ENABLED": "true", "XIETONG_SMS_API_BASE_URL": f"http://127.0.0.1:{sim_port}",
                    "XIETONG_SMS_ACCOUNT_SID": "AC" + "e2e0" * 8, "XIETONG_SMS_AUTH_TOKEN": "e2e-token",
                    "XIETONG_SMS_FROM_NUMBER": "+8610690000000", "XIETONG_SMS_RATE_PER_SECOND": "100",
                    "XIETONG_SMS_PUBLIC_BASE_URL": url,
                    # every notice goes out at once: the journeys share this server and its phones, and
                    # a digest window on the fake clock would hold one journey's first text to a phone
                    # for as long as the clock stands still after another's (the digest itself is
                    # tested in tests/sms)
                    "XIETONG_SMS_DIGEST_SECONDS": "0"})
        sim = subprocess.Popen(
            [sys.executable, "-m", "bots.twilio_sim", "--port", str(sim_port), "--account-sid",
             env["XIETONG_SMS_ACCOUNT_SID"], "--auth-token", "e2e-token", "--inbound-url",
             f"{url}/hooks/twilio/sms"], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log_path = Path(tmp) / "serve.log"
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "webapp.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(port)],
                env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = log_path.read_text(encoding="utf-8", errors="replace")
                    pytest.fail(f"`xietong serve` did not become healthy at {url} "
                                f"(exit code {proc.poll()}):\n{output}")
                time.sleep(0.1)   # waiting for a process to start, not for business time
            yield Server(url=url, db_path=db_path, sim_url=f"http://127.0.0.1:{sim_port}")
        finally:
            sim.terminate()
            sim.wait(timeout=5)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            ARTIFACTS.mkdir(exist_ok=True)      # the server's log beside the screenshots (CI keeps them)
            shutil.copyfile(log_path, ARTIFACTS / "serve.log")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium for the e2e package only: the sync API keeps an asyncio loop running in
    this thread while it is open, which would break every async test that runs after it
    (`asyncio.run() cannot be called from a running event loop`)."""
    if not Path(CHROMIUM).exists():
        message = f"Debian chromium not installed ({CHROMIUM}): apt-get install chromium fonts-wqy-microhei"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must not skip browser tests)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_phone_context(browser: Any) -> Any:
    """A fresh phone-sized context (own cookies): 390x844 CSS pixels, touch, zh-CN, watched
    by the running test's `BrowserWatch`."""
    context = browser.new_context(**PHONE)
    if _watch is not None:
        _watch.attach(context)
    return context


def as_user(browser: Any, server: Server, account: str) -> tuple[Any, Any]:
    """A phone of its own for `account`, logged in through the real form: (context, page)."""
    ctx = new_phone_context(browser)
    page = ctx.new_page()
    login(page, server, account)
    return ctx, page


def no_sideways_scroll(page: Any) -> None:
    """Nothing on the page makes a 390 px phone scroll sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def server_now(server: Server) -> datetime:
    """The server's (fake) clock now."""
    return datetime.fromisoformat(move_clock(server, 0))


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = new_phone_context(browser)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed and not page.is_closed():
            from playwright.sync_api import Error as PlaywrightError
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
            except (PlaywrightError, OSError) as exc:   # a screenshot must never hide the real failure
                print(f"could not save a screenshot: {exc}", file=sys.stderr)
        context.close()


def move_clock(server: Server, seconds: float) -> str:
    """Move the server's fake clock forward; every escalation step now due has run when this
    returns. Sessions idle longer than the idle limit end, so log in again afterwards."""
    request = urllib.request.Request(
        f"{server.url}/_test/clock", data=json.dumps({"seconds": seconds}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as resp:
        return str(json.loads(resp.read())["now"])


def login(page: Any, server: Server, account: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real form and wait for the home page."""
    page.goto(f"{server.url}/login")
    page.fill('input[name="login"]', account)
    page.fill('input[name="password"]', password)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(f"{server.url}/")


class ApiClient:
    """A logged-in JSON API client (urllib; cookies kept), for setting the scene from the test."""

    def __init__(self, server: Server, account: str, password: str = DEMO_PASSWORD) -> None:
        import http.cookiejar
        self.server = server
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = str(self.call("POST", "/api/login", {"login": account, "password": password})["csrf_token"])

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if getattr(self, "csrf", None):
            headers["X-CSRF-Token"] = self.csrf
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server.url + path, data=data, headers=headers, method=method)
        with self.opener.open(req, timeout=30) as resp:
            return json.loads(resp.read())

    def unit_ids(self, *codes: str) -> list[int]:
        units = {u["code"]: u["id"] for u in self.call("GET", "/api/units")["units"]}
        return [units[c] for c in codes]

    def issue(self, title: str, *codes: str, urgency: str = "extra_urgent") -> Any:
        return self.call("POST", "/api/items", {"kind": "document", "urgency": urgency, "title": title,
                                                "body": "请立即处理。", "main_units": self.unit_ids(*codes)})


def drop_sockets(server: Server) -> int:
    """Cut every open websocket on the (fake-clock) test server, as a network drop would."""
    req = urllib.request.Request(f"{server.url}/_test/drop-sockets", data=b"{}",
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return int(json.loads(resp.read())["dropped"])
