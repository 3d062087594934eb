"""Screenshots of every page, for the README: the demo's database, the real service, Chromium.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Replays the bundled sample corpus (as ``monitor demo`` does) into a throwaway SQLite file, serves
the pages on 127.0.0.1 with a token, signs in with Debian's Chromium through Playwright and saves
one PNG per page at desktop width, plus the overview and a timeline at phone width. The README
shows ``overview.png`` and ``timeline.png``; run this again after changing a page.
"""

from __future__ import annotations

import argparse
import io
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from monitor.api import create_app
from monitor.config import Settings, load_settings
from monitor.demo import run_demo
from monitor.store import create_db_engine

REPO = Path(__file__).resolve().parents[1]
TOKEN = "screenshot-token"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    ("overview", "/ui/"),
    ("overview-asof", "/ui/?as_of=2025-03-06T00:00"),
    ("timeline", "/ui/facts/coalition.countries"),
    ("timeline-asof", "/ui/facts/coalition.countries?as_of=2025-03-06T00:00"),
    ("terms", "/ui/facts/guarantee.terms"),
    ("troops", "/ui/facts/force.troops"),
    ("changes", "/ui/changes"),
    ("article", "/ui/articles/7"),
    ("feeds", "/ui/feeds"),
    ("alerts", "/ui/alerts"),
]


def serve(settings: Settings, db: Path) -> tuple[str, uvicorn.Server, threading.Thread]:
    """The service's app over ``db`` on a free loopback port, in a thread."""
    engine = create_db_engine(f"sqlite:///{db}")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine, settings), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def sign_in(page: Page, base: str) -> None:
    """Through the form, as a person would."""
    page.goto(f"{base}/ui/")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/ui/")


def main() -> int:
    """Write the screenshots; print where."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite"
        run_demo(REPO / "feeds.yaml", db, io.StringIO())
        base_settings = load_settings(REPO / "feeds.yaml")
        settings = base_settings.model_copy(
            update={"api": Settings.model_validate({"api": {"tokens": [TOKEN]}}).api}
        )
        base, server, thread = serve(settings, db)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for width, height, suffix, names in (
                    (1280, 900, "", [n for n, _ in PAGES]),
                    (390, 844, "-phone", ["overview", "timeline"]),
                ):
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        device_scale_factor=1,
                        locale="en-GB",
                    )
                    page = context.new_page()
                    sign_in(page, base)
                    for name, path in PAGES:
                        if name not in names:
                            continue
                        page.goto(base + path)
                        target = args.out / f"{name}{suffix}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(target.relative_to(REPO) if target.is_relative_to(REPO) else target)
                    context.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
