"""The chain atlas pages in a real browser (headless Chromium against uvicorn) on a small demo
province: the flow graph and the map draw, clicks lead where they should, the enterprise page
shows its chain position and 四清单, and nothing is requested from any other host."""

from __future__ import annotations

import json
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
from chainwatch.demo import prepare_demo
from chainwatch.store import lake
from chainwatch.web.app import create_app
from tests.conftest import require

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_SCHEMES = {"data", "blob", "about"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "the playwright Python package is not installed")
    require(Path(CHROMIUM).exists(), f"Chromium not found (looked for {CHROMIUM})")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("atlas-e2e")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            yield from _serve()
        finally:
            reset_settings()


def _fab_importer(planted: dict[str, Any]) -> str:
    importers = set(planted["weaknesses"][0]["importers"])
    con = lake.connect()
    try:
        fabs = [
            r[0]
            for r in con.execute(
                f"SELECT uscc FROM {lake.result_sql('firm_segments')} "
                "WHERE chain_id = 'ic' AND segment_id = 'fab' AND chain_main ORDER BY uscc"
            ).fetchall()
        ]
    finally:
        con.close()
    return next(u for u in fabs if u in importers)


def _serve() -> Iterator[dict[str, Any]]:
    summary = prepare_demo(600, 24, 2020)
    planted = json.loads((Path(summary["folder"]) / "planted.json").read_text("utf-8"))
    app = create_app()
    require(app.state.charts_available, "ECharts is not installed: run `npm ci`")
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
        yield {"url": f"http://127.0.0.1:{port}", "fab": _fab_importer(planted)}
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    outside = [
        url
        for url in requested
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert requested, "the page made no request at all"
    assert outside == [], f"the page asked hosts other than the server: {outside}"
    assert errors == [], f"script errors: {errors}"


def _click_point(page: Any, element_id: str, script: str) -> tuple[float, float]:
    x, y = page.evaluate(
        """([id, find]) => {
            const element = document.getElementById(id);
            element.scrollIntoView({block: 'center'});
            const chart = echarts.getInstanceByDom(element);
            const point = new Function('chart', find)(chart);
            const box = element.getBoundingClientRect();
            return [box.left + point[0], box.top + point[1]];
        }""",
        [element_id, script],
    )
    return float(x), float(y)


def test_chain_list_to_chain_graph_to_segment(page: Any, server: dict[str, Any]) -> None:
    page.goto(f"{server['url']}/atlas")
    assert page.locator(".atlas-chain-card").count() == 10
    page.click("#chain-ic h2 a")
    page.wait_for_url("**/atlas/ic")
    page.wait_for_selector("#flow-graph canvas")
    nodes = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('flow-graph'))
        .getOption().series[0].data.map(n => n.id)""")
    assert "fab" in nodes and len(nodes) == page.locator("#segment-table tbody tr").count()
    # Click the 晶圆制造 node where ECharts drew it: it opens the segment page.
    x, y = _click_point(
        page,
        "flow-graph",
        "const node = chart.getOption().series[0].data.find(n => n.id === 'fab');"
        "return chart.convertToPixel({seriesIndex: 0}, [node.x, node.y]);",
    )
    page.mouse.click(x, y)
    page.wait_for_url("**/atlas/ic/fab")
    assert page.locator("#segment-name").inner_text() == "晶圆制造"
    assert int(page.locator("#segment-firms").inner_text()) >= 1
    assert page.locator("#supplier-table tbody tr").count() >= 1


def test_map_tile_opens_the_chain_firms_of_a_city(page: Any, server: dict[str, Any]) -> None:
    page.goto(f"{server['url']}/atlas/ic")
    page.wait_for_selector("#region-map canvas")
    x, y = _click_point(
        page,
        "region-map",
        "const tile = chart.getOption().series[0].data.filter(d => d.count > 0)"
        ".sort((a, b) => b.count - a.count)[0];"
        "window.__tile = tile.code;"
        "return chart.convertToPixel({seriesIndex: 0}, tile.value.slice(0, 2));",
    )
    code = page.evaluate("() => window.__tile")
    page.mouse.click(x, y)
    page.wait_for_url(f"**/atlas/ic/_firms?region={code}")
    assert page.locator("#chain-firms-table tbody tr a").count() >= 1
    page.goto(f"{server['url']}/atlas/ic")
    page.click("button[data-level=counties]")
    count = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('region-map'))
        .getOption().series[0].data.length""")
    assert count == 90  # every county-level unit of Zhejiang


def test_enterprise_page_shows_position_and_lists(page: Any, server: dict[str, Any]) -> None:
    page.goto(f"{server['url']}/enterprises/{server['fab']}")
    assert "集成电路" in page.locator("#chain-positions").inner_text()
    assert "晶圆制造" in page.locator("#chain-positions").inner_text()
    foreign = page.locator("#list-table-foreign").inner_text()
    assert "日本" in foreign and "370790" in foreign
    assert page.locator(".atlas-list-total").count() == 4
    page.click("#chain-positions >> text=晶圆制造")
    page.wait_for_url("**/atlas/ic/fab")


def test_english_atlas(page: Any, server: dict[str, Any]) -> None:
    page.goto(f"{server['url']}/atlas/ic?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Segment flow graph" in page.locator("main").inner_text()
    page.click("nav.nav >> text=Chain atlas")
    page.wait_for_url("**/atlas")
    assert page.locator("h1").inner_text() == "Chain atlas"
