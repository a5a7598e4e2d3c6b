"""End-to-end in real headless Chromium (Debian `chromium`, driven by Playwright) against the app
served by uvicorn on 127.0.0.1 with the demo articles: log in, search without diacritics, open an
article, correct its sentiment and see the correction in the facets, take an alert from new to
closed, generate and download a report. Screenshots of the main pages are saved on the way
(copied to docs/screenshots/ when DULUAN_TEST_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORDS, ROOT, seed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on a free loopback port (uvicorn in a thread) over all demo articles and one alert."""
    import uvicorn

    from duluan.context import AppContext
    from duluan.settings import load_settings
    from web.app import create_app

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (scripts/system-deps.sh)")
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(ROOT / "config", root / "config")
    mp = pytest.MonkeyPatch()
    mp.setenv("DULUAN_SECRET_KEY", "e2e-secret-key-0123456789-abcdefghij")
    settings = load_settings(root / "config", root / "data")
    ctx = AppContext(settings.model_copy(update={
        "enrichment": settings.enrichment.model_copy(update={"embeddings": False})}))
    seed(ctx, limit=None)
    alert_id = _alert(ctx)
    app = create_app(ctx)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield {"base": f"http://127.0.0.1:{port}", "ctx": ctx, "alert_id": alert_id}
    server.should_exit = True
    thread.join(10)
    ctx.close()
    mp.undo()


def _alert(ctx: Any) -> str:
    from alerts.records import create_alert, talking_points_for
    from index.base import Query

    art = ctx.index.search(Query(text="xe buyt", limit=1)).items[0]
    with ctx.session() as s:
        rec = create_alert(s, ctx, rule_id="e2e-rule", dedup_key="e2e", kind="article", severity="high",
                           title=art.title, reasons=["Bài viết tiêu cực về giao thông công cộng của Thành phố"],
                           agency=None, article=art, story_id=art.story_id, channels=["inbox"],
                           talking_points=talking_points_for(ctx, art, ["traffic"]))
        s.commit()
        return str(rec.id)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("screenshots")
    yield out
    if os.environ.get("DULUAN_TEST_SCREENSHOTS") == "1":
        dest = ROOT / "docs" / "screenshots"
        dest.mkdir(parents=True, exist_ok=True)
        for f in out.glob("*.png"):
            shutil.copy2(f, dest / f.name)


def _facet_count(page: Any, dim: str, value: str) -> int:
    page.wait_for_selector(f"#facet-{dim}")  # the panel is fetched after the results
    loc = page.locator(f'#facet-{dim} input[value="{value}"]')
    if loc.count() == 0:
        return 0
    text = loc.locator("xpath=..").locator(".count").inner_text()
    return int(text)


def test_a_working_day_in_chromium(live: dict[str, Any], browser: Any, shots: Path) -> None:
    base = live["base"]
    ctx = live["ctx"]
    console_errors: list[str] = []
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(20_000)

    # log in (the login page is in Vietnamese)
    page.goto(f"{base}/search")
    assert "/login" in page.url
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.screenshot(path=str(shots / "login.png"))
    page.fill('input[name="username"]', "analyst")
    page.fill('input[name="password"]', PASSWORDS["analyst"])
    page.click('button[type="submit"]')
    page.wait_for_url(re.compile(r"/search"))

    # the dashboard
    page.goto(f"{base}/")
    assert page.locator("h1").first.inner_text() == "Tổng quan"
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    # search without diacritics
    page.goto(f"{base}/search")
    before = _facet_count(page, "sentiment", "-1")
    page.fill("#q", "xe buyt")
    page.click("#search-submit")
    page.wait_for_url(re.compile(r"q=xe"))
    page.wait_for_selector("#facet-sentiment")  # the facet panel arrives after the results
    titles = page.locator("a.title").all_inner_texts()
    assert titles, "no result for a diacritic-free query"
    assert any("xe buýt" in t.lower() for t in titles) or page.locator("a.title").count() > 0
    page.screenshot(path=str(shots / "search.png"), full_page=True)

    # open an article that is not negative yet, correct its sentiment to negative
    target = None
    for link in page.locator("a.title").all():
        aid = link.get_attribute("href").rsplit("/", 1)[1]
        if ctx.index.get(aid).effective_sentiment() != -1:
            target = aid
            break
    assert target is not None
    page.click(f'a.title[href="/articles/{target}"]')
    page.wait_for_url(re.compile(f"/articles/{target}"))
    assert page.locator("#article-body p").count() > 0
    page.screenshot(path=str(shots / "article.png"), full_page=True)
    page.select_option("#review-sentiment", "-1")
    page.click("#review-save")
    page.wait_for_url(re.compile(r"ok=reviewed"))
    assert "tiêu cực" in page.locator("#eff-sentiment").inner_text()

    # the correction shows in the search facets, and filtering by it finds the article
    page.goto(f"{base}/search")
    assert _facet_count(page, "sentiment", "-1") == before + 1
    page.check('#facet-sentiment input[value="-1"]')  # app.js submits on change
    page.wait_for_url(re.compile(r"sentiment=-1"))
    page.wait_for_selector("#facet-reviewed")
    page.check('#facet-reviewed input[value="1"]')
    page.wait_for_url(re.compile(r"reviewed=1"))
    hrefs = [h.get_attribute("href") for h in page.locator("a.title").all()]
    assert f"/articles/{target}" in hrefs

    # the alert: new -> acknowledged -> assigned -> responded -> closed
    alert_id = live["alert_id"]
    page.goto(f"{base}/alerts")
    page.screenshot(path=str(shots / "alerts.png"), full_page=True)
    page.click(f'a[href="/alerts/{alert_id}"]')
    page.wait_for_url(re.compile(f"/alerts/{alert_id}"))
    assert "Mới" in page.locator("#alert-state").inner_text()
    page.screenshot(path=str(shots / "alert.png"), full_page=True)
    page.click("#action-acknowledge button")
    page.wait_for_url(re.compile(r"ok=done"))
    assert "Đã tiếp nhận" in page.locator("#alert-state").inner_text()
    page.fill('#action-assign input[name="deadline"]', "30/11/2026")
    page.fill('#action-assign input[name="assignee"]', "Phòng Báo chí")
    page.click("#action-assign button")
    page.wait_for_url(re.compile(r"ok=done"))
    assert "Đã giao xử lý" in page.locator("#alert-state").inner_text()
    page.select_option('#action-respond select[name="response"]', "statement")
    page.fill('#action-respond input[name="note"]', "Đã phát thông cáo báo chí")
    page.click("#action-respond button")
    page.wait_for_url(re.compile(r"ok=done"))
    page.click("#action-close button")
    page.wait_for_url(re.compile(r"ok=done"))
    assert "Đã đóng" in page.locator("#alert-state").inner_text()
    assert page.locator("#alert-history tr").count() == 6  # header + create + 4 steps
    from duluan.db import AlertRecord

    with ctx.session() as s:
        assert s.get(AlertRecord, alert_id).state == "closed"

    # generate the daily digest for a demo day and download it
    page.goto(f"{base}/reports")
    page.select_option('#generate-form select[name="kind"]', "daily")
    page.fill('#generate-form input[name="start"]', "20/11/2026")
    page.select_option('#generate-form select[name="format"]', "html")
    page.click("#generate-form button")
    page.wait_for_url(re.compile(r"ok=generated"), timeout=120_000)
    page.screenshot(path=str(shots / "reports.png"), full_page=True)
    with page.expect_download() as info:
        page.locator("a.download").first.click()
    download = info.value
    saved = shots / "downloaded-report"
    download.save_as(str(saved))
    content = saved.read_text(encoding="utf-8")
    assert "20/11/2026" in content or "2026" in content
    assert len(content) > 1000

    # more pages for the README, and the English switch
    for name, path in (("sources", "/sources"), ("rules", "/rules")):
        page.goto(f"{base}{path}")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{base}/")
    assert page.locator("h1").first.inner_text() == "Dashboard"
    page.screenshot(path=str(shots / "dashboard-en.png"), full_page=True)
    assert console_errors == []  # includes CSP violations: nothing inline was blocked
    context.close()
