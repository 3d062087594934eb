"""The analysts' pages in a real browser: Debian's Chromium driven by Playwright, over the real
service (uvicorn on 127.0.0.1) and a database filled by the real pipeline from the bundled
sample corpus, on SQLite and on PostgreSQL.

The database is filled once per back-end and module, and one browser serves the whole session.
"""

from __future__ import annotations

import asyncio
import io
import json
import multiprocessing
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.api import create_app
from monitor.app import App
from monitor.config import Settings, load_settings
from monitor.demo import STEP, demo_settings, replay
from monitor.models import Alert, Change
from monitor.sample import SampleServer, load_corpus
from monitor.store import create_db_engine, migrate
from monitor.web.chart import STATUS_COLOURS

from .conftest import PG_URL, REPO
from .servers import free_port

# Under xdist, one worker runs this module: the databases are filled once, one browser starts.
pytestmark = pytest.mark.xdist_group("browser")

TOKEN = "browser-test-token-1"
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


@dataclass(frozen=True)
class Site:
    """The service under test: its base URL and its database."""

    base: str
    engine: Engine


def _fill(url: str) -> None:
    """Replay the sample corpus through the real pipeline into ``url`` (as ``monitor demo``)."""
    corpus = load_corpus()
    clock = [corpus.stories[0].published - STEP]
    with SampleServer(corpus, lambda: clock[0]) as server:
        settings = demo_settings(load_settings(REPO / "feeds.yaml"), server, corpus, Path("x"))
        settings = settings.model_copy(update={"database_url": url})
        engine = create_db_engine(url)
        migrate(engine)
        asyncio.run(replay(App(settings=settings, engine=engine), corpus, clock, io.StringIO()))
        engine.dispose()


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A SQLite file and a PostgreSQL schema, filled by the pipeline at the same time."""
    schema = f"w_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    urls = {
        "sqlite": f"sqlite:///{tmp_path_factory.mktemp('web') / 'monitor.sqlite'}",
        "postgresql": f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}",
    }
    try:
        # In fresh processes: this one runs Playwright's event loop and driver, and the
        # pipeline's extraction pool must not fork from it. Both at once: two cores.
        fillers = [
            multiprocessing.get_context("spawn").Process(target=_fill, args=(url,))
            for url in urls.values()
        ]
        for filler in fillers:
            filler.start()
        for filler in fillers:
            filler.join(300)
            assert filler.exitcode == 0, "replaying the sample corpus failed"
        yield urls
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, databases: dict[str, str]) -> Iterator[Site]:
    """The pages over a database the pipeline filled from the sample corpus, served by uvicorn."""
    url = databases[request.param]
    engine = create_db_engine(url)
    settings = load_settings(REPO / "feeds.yaml").model_copy(
        update={"api": Settings.model_validate({"api": {"tokens": [TOKEN]}}).api}
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine, settings), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{sock.getsockname()[1]}", engine)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, once per test process (never a downloaded browser)."""
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def sign_in(page: Page, base: str, token: str = TOKEN) -> None:
    page.goto(f"{base}/ui/signin")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def signed_in(site: Site, browser: Browser) -> Iterator[BrowserContext]:
    """A browser context that signed in through the form (its cookie is reused by the tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, site.base)
    expect(page).to_have_url(f"{site.base}/ui/")
    page.close()
    yield context
    context.close()


@pytest.fixture
def page(signed_in: BrowserContext) -> Iterator[Page]:
    tab = signed_in.new_page()
    yield tab
    tab.close()


def test_a_page_without_a_session_sends_to_sign_in_and_back(site: Site, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.base}/ui/facts/coalition.countries")
    expect(page).to_have_url(re.compile(r"/ui/signin\?next=%2Fui%2Ffacts%2Fcoalition\.countries$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not one of the service's api.tokens")
    assert not context.cookies()

    page.get_by_label("Token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.base}/ui/facts/coalition.countries")
    assert TOKEN not in page.url
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert TOKEN not in cookie["value"]
    hours = (cookie["expires"] - time.time()) / 3600
    assert 11.9 < hours <= 12.0
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/ui/signin"))
    page.goto(f"{site.base}/ui/changes")
    expect(page).to_have_url(re.compile(r"/ui/signin\?next=%2Fui%2Fchanges"))
    context.close()


def test_a_forged_or_expired_session_is_refused(site: Site) -> None:
    with httpx.Client(base_url=site.base, follow_redirects=False) as client:
        good = client.post("/ui/signin", data={"token": TOKEN, "next": "/ui/feeds"})
        client.cookies.clear()  # each request below names its own cookie
        assert good.status_code == 303 and good.headers["location"] == "/ui/feeds"
        value = good.cookies["monitor_session"]
        forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
        for cookie in (forged, "e30.x.y", ""):
            r = client.get("/ui/feeds", headers={"Cookie": f"monitor_session={cookie}"})
            assert r.status_code == 303 and r.headers["location"].startswith("/ui/signin")
        assert client.get("/ui/feeds", headers={"Cookie": f"monitor_session={value}"}).is_success
        again = client.get(
            "/ui/signin?next=/ui/alerts", headers={"Cookie": f"monitor_session={value}"}
        )
        assert again.status_code == 303 and again.headers["location"] == "/ui/alerts"
        # A sign-in never sends the browser to another site.
        away = client.post("/ui/signin", data={"token": TOKEN, "next": "//evil.example/"})
        assert away.headers["location"] == "/ui/"


def test_scripts_use_the_bearer_header_and_health_stays_open(site: Site) -> None:
    with httpx.Client(base_url=site.base, follow_redirects=False) as client:
        ok = client.get("/ui/", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "Tracked facts" in ok.text
        assert "default-src 'none'" in ok.headers["content-security-policy"]
        bad = client.get("/ui/", headers={"Authorization": "Bearer wrong"})
        assert bad.status_code == 401 and "invalid bearer token" in bad.text
        assert client.get("/ui/").status_code == 303
        assert client.get("/health").status_code == 200
        assert client.get("/").headers["location"] == "/ui/"


def test_repeated_wrong_tokens_are_answered_ever_more_slowly(site: Site) -> None:
    with httpx.Client(base_url=site.base, follow_redirects=False, timeout=30) as client:
        assert client.post("/ui/signin", data={"token": TOKEN}).status_code == 303  # resets
        waits = []
        for _ in range(3):
            start = time.monotonic()
            r = client.post("/ui/signin", data={"token": "guess"})
            waits.append(time.monotonic() - start)
            assert r.status_code == 401 and "not one of the service" in r.text
        assert waits[0] >= 0.5 and waits[1] >= 1.0 and waits[2] >= 2.0
        assert client.post("/ui/signin", data={"token": TOKEN}).status_code == 303


def test_overview_shows_every_fact_with_value_status_outlets_and_a_timeline(
    page: Page, site: Site
) -> None:
    page.goto(f"{site.base}/ui/")
    countries = page.locator("section.fact", has_text="coalition.countries")
    row = countries.locator("tbody tr").first
    expect(row.locator("td[data-label=Value]")).to_have_text("30")
    expect(row.locator("td[data-label=Status]")).to_have_text("confirmed")
    expect(row.locator("td[data-label=Outlets]")).to_have_text("2")
    expect(row.locator("td[data-label='Last change']")).to_have_text("2025-03-27 20:00 UTC")
    expect(row.locator("svg.spark path.step")).to_have_count(1)
    troops = page.locator("section.fact", has_text="force.troops")
    expect(troops.locator("tr", has_text="United Kingdom")).to_contain_text("up to 10,000")
    expect(troops.locator("tr", has_text="overall")).to_contain_text("25,000")
    terms = page.locator("section.fact", has_text="guarantee.terms")
    expect(terms.locator("tr", has_text="U.S. backstop")).to_contain_text("proposed")
    expect(page.locator("section.fact", has_text="ukraine.army_cap")).to_contain_text(
        "No value yet"
    )

    page.get_by_label("Fact").select_option("force.troops")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"\?fact=force\.troops&as_of=$"))
    expect(page.locator("section.fact")).to_have_count(1)


def test_overview_as_of_makes_the_disputed_key_stand_out(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/ui/")
    expect(page.locator("tr.disputed")).to_have_count(0)
    page.get_by_label("As of").fill("2025-03-06T00:00")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("status")).to_contain_text(
        ["As the monitor saw it on 2025-03-06 00:00 UTC", "1 disputed key"]
    )
    row = page.locator("tr.disputed")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=Value]")).to_contain_text("26")
    expect(row.locator("td[data-label=Value]")).to_contain_text("disputed by 24 (Danube Dispatch)")
    expect(row.locator("td[data-label=Status]")).to_have_text("disputed")
    # Facts first stated later had no value yet, and a link keeps the moment.
    expect(page.locator("section.fact", has_text="coalition.pledged")).to_contain_text(
        "No value by then"
    )
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/ui/facts/coalition\.countries\?as_of=2025-03-06"))
    expect(page.get_by_role("group", name="Sources disagree")).to_be_visible()


def test_a_fact_timeline_links_each_point_to_its_highlighted_evidence(
    page: Page, site: Site
) -> None:
    page.goto(f"{site.base}/ui/")
    page.get_by_role("link", name="Countries in the coalition of the willing").click()
    expect(page).to_have_url(f"{site.base}/ui/facts/coalition.countries")
    chart = page.locator("svg.chart")
    expect(chart.locator("path.step")).to_have_count(1)
    # 12, 20, 26, 31, 30 accepted in turn; 24 a claim the dispute's resolution dropped.
    expect(chart.locator("circle.point")).to_have_count(5)
    expect(chart.locator(".claim")).to_have_count(1)
    current = page.locator("li.version.current")
    expect(current.locator(".head")).to_contain_text("30")
    marks = current.locator("mark").all_inner_texts()
    assert {"30 countries", "Thirty countries"} <= set(marks)
    expect(current).to_contain_text("Atlantic Desk, published 2025-03-20 09:00 UTC")
    # The evidence shows the title its own version had.
    expect(
        current.get_by_role("link", name="Coalition reaches 31 countries ahead of Paris meeting")
    ).to_have_count(1)

    point = chart.locator("a", has=page.locator("circle.point")).first
    target = point.get_attribute("href")
    assert target is not None and target.startswith("#v")
    point.click()
    expect(page).to_have_url(re.compile(target + "$"))
    expect(page.locator(target)).to_contain_text("About a dozen countries")
    expect(page.locator(f"{target} mark")).to_have_text("About a dozen countries")


def test_the_as_of_view_shows_the_dispute_as_it_stood(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/ui/facts/coalition.countries")
    page.get_by_label("As of").fill("2025-03-06T00:00")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"as_of=2025-03-06T00%3A00$"))
    expect(page.get_by_role("status")).to_contain_text("2025-03-06 00:00 UTC")
    conflict = page.get_by_role("group", name="Sources disagree")
    expect(conflict.locator(".side").first).to_contain_text("Accepted: 26")
    expect(conflict.locator(".claim-side")).to_contain_text("Disputed by: 24")
    expect(conflict.locator(".claim-side mark")).to_have_text("two dozen nations")
    expect(page.locator("li.version.current .head")).to_contain_text("26")
    expect(page.locator("li.version")).to_have_count(4)  # 30 and 31 were not known yet
    expect(page.locator("svg.chart .claim.disputed")).to_have_count(1)

    page.get_by_role("link", name="Today").click()
    expect(page.locator("li.version.current .head")).to_contain_text("30")


def test_an_article_diff_marks_removed_added_and_evidence_words(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/ui/facts/coalition.countries")
    page.locator("li.version.current").get_by_role("link", name="stored version 2").click()
    expect(page).to_have_url(re.compile(r"/ui/articles/\d+\?b=2$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Coalition reaches 31 countries ahead of Paris meeting"
    )
    expect(page.get_by_role("heading", name="Version 1 → version 2")).to_be_visible()
    diff = page.locator("div.diff")
    expect(diff.locator("del")).to_have_text(["31"])
    expect(diff.locator("ins").first).to_contain_text("30")
    expect(diff.locator("ins", has_text="Correction: an earlier version")).to_have_count(1)
    assert "30" in diff.locator("ins mark").all_inner_texts()
    # Every quote the monitor read from version 2 is marked in the diff.
    marked = " ".join(diff.locator("mark").all_inner_texts())
    quotes = page.locator("ul.evidence li", has_text="version 2").locator("q").all_inner_texts()
    assert quotes and all(q.strip("“”") in marked for q in quotes), (quotes, marked)


def test_changes_page_filters_pages_and_links_the_same_atom_feed(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/ui/changes")
    expect(page.locator("main")).to_contain_text("22 changes, newest first")
    page.get_by_label("Kind").select_option("change")
    page.get_by_label("Fact").select_option("coalition.countries")
    page.get_by_label("Since").fill("2025-03-01")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.changes tbody tr")
    expect(rows).to_have_count(3)  # 20 -> 26, 26 -> 31, 31 -> 30
    expect(rows.first.locator("td[data-label=Change]")).to_have_text("change 31 → 30")
    atom = page.get_by_role("link", name="Atom feed of these changes").get_attribute("href")
    assert atom is not None and "kind=change" in atom and "fact=coalition.countries" in atom
    feed = feedparser.parse(
        httpx.get(site.base + atom, headers={"Authorization": f"Bearer {TOKEN}"}).content
    )
    assert [e.title for e in feed.entries] == [
        "coalition.countries: change: 31 → 30",
        "coalition.countries: change: 26 → 31",
        "coalition.countries: change: 20 → 26",
    ]
    page.get_by_label("Since").fill("in a while")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("alert")).to_contain_text("'in a while' is not a date")


def test_feeds_and_alerts_pages_show_health_and_dead_letters(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/ui/feeds")
    rows = page.locator("table.feeds tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("304")
    with Session(site.engine) as s:
        change = s.exec(select(Change).where(Change.kind == "change")).first()
        assert change is not None
        s.add(
            Alert(
                change_id=change.id,
                channel="newsroom-bot",
                idempotency_key=f"web-test-{uuid.uuid4().hex}",
                state="dead",
                attempts=8,
                last_error="webhook: hooks.example answered 410 Gone",
                created_at=datetime(2025, 3, 21, 20, tzinfo=UTC),
            )
        )
        s.commit()
    page.goto(f"{site.base}/ui/alerts")
    page.get_by_role("link", name=re.compile("dead letters")).click()
    row = page.locator("table.alerts tbody tr").first
    expect(row).to_contain_text("dead letter")
    expect(row).to_contain_text("410 Gone")
    expect(row.locator("td[data-label=Attempts]")).to_have_text("8")


def test_pages_fit_a_phone_and_work_from_the_keyboard(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, site.base)
    for path in ("/ui/", "/ui/facts/force.troops", "/ui/changes", "/ui/feeds"):
        page.goto(site.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px phone"
    page.goto(f"{site.base}/ui/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("id", "fact")
    context.close()


# WCAG 2.1 contrast of each element's own text against the background it is painted on.
CONTRAST_JS = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const under = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let base = {r: 255, g: 255, b: 255};
    for (const c of layers.reverse()) base = {r: c.r * c.a + base.r * (1 - c.a),
      g: c.g * c.a + base.g * (1 - c.a), b: c.b * c.a + base.b * (1 - c.a)};
    return base; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg')) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || box.right < 0) continue;
    const style = getComputedStyle(el), fg = parse(style.color), L1 = lum(fg), L2 = lum(under(el));
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < need) bad.push(`${el.tagName}.${el.className} "${text}" ${ratio.toFixed(2)}`);
  }
  return bad;
}"""


def test_every_page_meets_wcag_aa_contrast(page: Page, site: Site) -> None:
    for path in (
        "/ui/",
        "/ui/facts/coalition.countries?as_of=2025-03-06T00:00",
        "/ui/facts/guarantee.terms",
        "/ui/changes",
        "/ui/feeds",
        "/ui/alerts",
    ):
        page.goto(site.base + path)
        assert page.evaluate(CONTRAST_JS) == [], path
    page.goto(f"{site.base}/ui/facts/coalition.countries")
    page.locator("li.version.current").get_by_role("link", name="stored version 2").click()
    assert page.evaluate(CONTRAST_JS) == [], page.url


def test_status_colours_drawn_in_charts_are_readable_under_white_words() -> None:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for status, colour in STATUS_COLOURS.items():
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5, status


def test_monitor_run_serves_the_pages_and_keeps_its_logs_json(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'run.sqlite'}\n"
        f"api:\n  serve_with_run: true\n  port: {port}\n",
        encoding="utf-8",
    )
    argv = ["--config", str(config), "--log-format", "json", "run", "--workers", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", *argv],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "monitor run did not serve"
            try:
                if httpx.get(f"{base}/health").is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        # No tokens: loopback only, and the pages need no sign-in.
        overview = httpx.get(f"{base}/ui/")
        assert overview.status_code == 200 and "Tracked facts" in overview.text
        missing = httpx.get(f"{base}/ui/facts/nothing.here")
        assert missing.status_code == 404 and "no history for fact &#39;nothing.here&#39;" in (
            missing.text
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = err.splitlines()
    assert lines and all(json.loads(line) for line in lines)
    assert "\x1b" not in err and "color_message" not in err
    assert any(json.loads(line)["msg"] == "api GET /ui/ 200" for line in lines)
