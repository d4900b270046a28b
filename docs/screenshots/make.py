"""Remake the README's pictures from the demo data: the clerk's home, the duty board, the sender's view.

    .venv/bin/python docs/screenshots/make.py

Loads `xietong demo` (with its items at every stage) into a temporary database, serves it on
127.0.0.1, and photographs three pages in Debian's headless Chromium at phone size (390 x 844 CSS
px, one device pixel per CSS pixel so the files stay small) into docs/screenshots/.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.services.demo import DEMO_PASSWORD  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, healthy, server_env  # noqa: E402

OUT = Path(__file__).resolve().parent
ESCALATED = "关于做好寒潮雨雪冰冻天气防御工作的紧急通知"     # the demo's item escalated to the duty desk
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="xietong-shots-") as tmp:
        db = Path(tmp) / "xietong.db"
        env = server_env(db)
        env.pop("XIETONG_CLOCK_FAKE")            # the real clock: the demo's past ends now
        subprocess.run([sys.executable, "-m", "webapp.cli", "demo"], env=env, cwd=ROOT, check=True,
                       capture_output=True, stdin=subprocess.DEVNULL)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--host", "127.0.0.1",
                                   "--port", str(port)], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while not healthy(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.1)      # waiting for a process to start
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

                def shoot(account: str, path: str, name: str, link: str = "") -> None:
                    context = browser.new_context(**PHONE)
                    page = context.new_page()
                    page.goto(f"{url}/login")
                    page.fill('input[name="login"]', account)
                    page.fill('input[name="password"]', DEMO_PASSWORD)
                    page.click('form[action="/login"] button[type="submit"]')
                    page.wait_for_url(f"{url}/")
                    page.goto(url + path)
                    if link:
                        page.get_by_role("link", name=link).first.click()
                        page.wait_for_load_state()
                    page.wait_for_timeout(300)        # the live status settles (display only)
                    page.screenshot(path=str(OUT / name), animations="disabled")
                    context.close()
                    print(f"{name}  {(OUT / name).stat().st_size // 1024} KiB  ({account} {page.url[len(url):]})")

                shoot("dhz.clerk1", "/", "clerk-home.png")
                shoot("duty", "/duty", "duty-board.png")
                shoot("bgs.clerk1", "/sent", "sender-view.png", link=ESCALATED)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
