"""The alert inbox in a real browser: grade counts and colours, a filter, an alert's detail, and
assigning it with the form."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from chainwatch.config import reset_settings
from chainwatch.monitor.stage import build_monitor
from chainwatch.web.app import create_app
from tests.conftest import require
from tests.unit.monitor.alert_sample import load_alert_sample, uscc_of

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "the playwright Python package is not installed")
    require(Path(CHROMIUM).exists(), f"Chromium not found (looked for {CHROMIUM})")
    folder = tmp_path_factory.mktemp("alerts")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(folder / "home"))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            load_alert_sample(folder / "files")
            build_monitor()
            port = _free_port()
            config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}")
                time.sleep(0.05)
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                server.should_exit = True
                thread.join(timeout=10)
        finally:
            reset_settings()


@pytest.fixture()
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        opened = context.new_page()
        opened.set_default_timeout(15_000)
        yield opened
        context.close()
        browser.close()
    outside = [u for u in requested if urlsplit(u).hostname not in (None, "127.0.0.1")]
    assert outside == [], f"the page asked hosts other than the server: {outside}"


def test_inbox_filter_detail_and_assign(page: Any, server: str) -> None:
    page.goto(f"{server}/monitor/alerts")
    assert page.locator("h1").inner_text() == "预警"
    red_count = page.locator("#alert-counts .grade-red .stat-value")
    assert red_count.inner_text() == "2"
    badge = page.locator("#alerts tr[data-grade='红'] .grade").first
    colour = badge.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(198, 40, 40)"  # 红 is red
    # Filter to the red alerts with the form.
    page.select_option("#filter-grade", "红")
    page.click("#alert-filters button[type=submit]")
    page.wait_for_url("**grade=*")
    rows = page.locator("#alerts tbody tr")
    assert rows.count() == 2
    assert {rows.nth(i).get_attribute("data-grade") for i in range(2)} == {"红"}
    assert "用电量连续2个月低于自身基线的30%" in rows.first.inner_text()
    # Open one: history, links to the firm and its county, then assign it.
    rows.first.locator("a.button").click()
    page.wait_for_url("**/monitor/alerts/*")
    assert page.locator("#alert-status").inner_text() == "新"
    firm_link = page.locator("#alert-links a[data-kind=firm]")
    assert firm_link.get_attribute("href") == f"/enterprises/{uscc_of('A')}"
    assert page.locator("#alert-history tbody tr").first.inner_text().count("发出预警") == 1
    page.fill("#assign-form input[name=to]", "镇海区经信局")
    page.fill("#assign-form input[name=by]", "运行监测处")
    page.click("#assign-form button[type=submit]")
    page.wait_for_url("**done=assign")
    assert page.locator("#alert-status").inner_text() == "已分派"
    assert page.locator("#alert-assignee").inner_text() == "镇海区经信局"
    last = page.locator("#alert-history tbody tr").last.inner_text()
    assert "分派" in last and "运行监测处" in last
    assert page.locator("#handle-form").is_visible()
