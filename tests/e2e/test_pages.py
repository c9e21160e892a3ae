"""The pages in a real browser: Chromium (headless) against uvicorn on a free local port.

Skips with a reason where Chromium, the playwright package or the npm packages (ECharts) are
missing; CHAINWATCH_REQUIRE_ALL=1 turns those skips into failures. Every test also checks that
the browser asked nothing of any host but the local server: government intranets are closed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from stdnum.cn import uscc as uscc_check

from chainwatch.config import reset_settings
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import Enterprise
from chainwatch.web.app import create_app
from tests.conftest import require

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = {"data", "blob", "about"}


def code(body: str) -> str:
    return body + uscc_check.calc_check_digit(body)


CHIP = code("91330106MA2B0Y8X3")
FIRMS = [
    (CHIP, "杭州芯微电子有限公司", "330106", "3973", "规上", 320, ["专精特新"]),
    (
        code("91330206MA2GQ1RU5"),
        "宁波恒远汽车零部件有限公司",
        "330206",
        "3670",
        "规上",
        800,
        ["链主"],
    ),
    (code("91330302MA2AP9E05"), "温州鹿城鞋业有限公司", "330302", "1952", "规下", 40, []),
    (code("91330782MA2EC4WB8"), "义乌小商品供应链有限公司", "330782", "5191", "规下", 25, []),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed() -> None:
    with session_scope() as session:
        for uscc, name, region, industry, scale, employees, tags in FIRMS:
            session.add(
                Enterprise(
                    uscc=uscc,
                    name=name,
                    region_code=region,
                    industry_code=industry,
                    scale=scale,
                    employees=employees,
                    land_area_mu=Decimal("30"),
                    founded_on=dt.date(2012, 3, 1),
                    tags=tags,
                )
            )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "the playwright Python package is not installed")
    require(Path(CHROMIUM).exists(), f"Chromium not found (looked for {CHROMIUM})")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("home")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            yield from _serve_seeded_app()
        finally:
            # Later test modules must not inherit this module's settings, even after a skip.
            reset_settings()


def _serve_seeded_app() -> Iterator[str]:
    ensure_database()
    _seed()
    app = create_app()
    require(
        app.state.charts_available, "ECharts is not installed: run `npm ci` at the repository root"
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
    outside = [
        url
        for url in requested
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert requested, "the page made no request at all"
    assert outside == [], f"the page asked hosts other than the server: {outside}"


def test_overview_draws_the_schematic_map_and_links_tiles(page: Any, server: str) -> None:
    page.goto(f"{server}/")
    assert "全省概览" in page.locator("h1").inner_text()
    page.wait_for_selector("#region-map canvas")
    page.wait_for_selector("#industry-chart canvas")
    assert page.locator("canvas").count() >= 4  # map, industries, scale, tags
    assert "审图号" in page.locator(".map-note").inner_text()
    # Click the Ningbo tile where ECharts drew it: it opens the search for that city.
    x, y = page.evaluate("""() => {
        const element = document.getElementById('region-map');
        const chart = echarts.getInstanceByDom(element);
        const tile = chart.getOption().series[0].data.find(d => d.code === '330200');
        const [px, py] = chart.convertToPixel({seriesIndex: 0}, tile.value.slice(0, 2));
        const box = element.getBoundingClientRect();
        return [box.left + px, box.top + py];
    }""")
    page.mouse.click(x, y)
    page.wait_for_url("**/enterprises?region=330200")
    assert "宁波恒远汽车零部件有限公司" in page.locator("#results").inner_text()
    assert "温州鹿城鞋业有限公司" not in page.locator("#results").inner_text()


def test_county_view_redraws(page: Any, server: str) -> None:
    page.goto(f"{server}/")
    page.click("button[data-level=counties]")
    count = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('region-map'))
        .getOption().series[0].data.length""")
    assert count == 90  # every county-level unit of Zhejiang in the shipped table


def test_search_finds_a_firm_and_opens_its_page(page: Any, server: str) -> None:
    page.goto(f"{server}/enterprises")
    page.fill("input[name=q]", "芯微")
    page.click("button[type=submit]")
    page.wait_for_url("**/enterprises?q=*")
    results = page.locator("#results tbody tr")
    assert results.count() == 1
    page.click("text=杭州芯微电子有限公司")
    page.wait_for_url(f"**/enterprises/{CHIP}")
    assert page.locator("#firm-name").inner_text() == "杭州芯微电子有限公司"
    assert "集成电路制造" in page.locator("dl.profile").inner_text()


def test_english_switch_sticks_across_pages(page: Any, server: str) -> None:
    page.goto(f"{server}/")
    page.click("#lang-en")
    page.wait_for_url("**/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Province overview" in page.locator("h1").inner_text()
    page.click("nav.nav >> text=Enterprises")
    assert "Enterprise search" in page.locator("h1").inner_text()
    page.click("#lang-zh")
    assert "企业查询" in page.locator("h1").inner_text()


def test_api_docs_render_from_local_assets(page: Any, server: str) -> None:
    page.goto(f"{server}/docs")
    if page.locator("#swagger-ui").count() == 0:
        require(False, "swagger-ui-dist is not installed: run `npm ci`")
    page.wait_for_selector("#swagger-ui .info")
    assert "/api/v1/enterprises" in page.locator("#swagger-ui").inner_text()
