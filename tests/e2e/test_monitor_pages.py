"""The monitoring pages in a real browser on a small demo province: the 一图 map coloured by the
税电指数 (red below 100, green above, grey without figures) and the index chart, the drill-down
province → city → county → firm, the month selector, the rankings (赛马) and the wall display
(大屏) fitting 1920×1080; nothing is requested from any other host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from chainwatch.demo import prepare_demo
from chainwatch.monitor import alert_store
from chainwatch.monitor.indices import index_series
from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, served_home

pytestmark = pytest.mark.browser

FIRMS, MONTHS, SEED = 300, 24, 2020


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("monitor-pages") / "home"
    with served_home(home, lambda: prepare_demo(FIRMS, MONTHS, SEED), need_charts=True) as url:
        yield url


def _open(viewport: dict[str, int]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        requested: list[str] = []
        problems: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        opened = context.new_page()
        opened.on("pageerror", lambda error: problems.append(str(error)))
        opened.set_default_timeout(15_000)
        yield opened
        context.close()
        browser.close()
    outside = [u for u in requested if urlsplit(u).hostname not in (None, "127.0.0.1")]
    assert outside == [], f"the page asked hosts other than the server: {outside}"
    assert problems == [], f"script errors: {problems}"


@pytest.fixture()
def page(server: str) -> Iterator[Any]:
    yield from _open({"width": 1366, "height": 900})


@pytest.fixture()
def wall(server: str) -> Iterator[Any]:
    yield from _open({"width": 1920, "height": 1080})


TILES = """(code) => {
    const element = document.getElementById('monitor-map');
    const chart = echarts.getInstanceByDom(element);
    const option = chart.getOption();
    const tiles = option.series.flatMap((s, i) => s.data.map(d => ({...d, seriesIndex: i})));
    if (code === null) { return tiles.map(d => ({code: d.code, value: d.shown})); }
    const tile = tiles.find(d => d.code === code);
    const [px, py] = chart.convertToPixel({seriesIndex: tile.seriesIndex}, tile.value.slice(0, 2));
    const size = option.series[tile.seriesIndex].symbolSize;
    const box = element.getBoundingClientRect();
    // The colour near the square's corner (its centre holds the label).
    const canvas = element.querySelector('canvas');
    const ratio = canvas.width / canvas.clientWidth;
    const probe = canvas.getContext('2d').getImageData(
        Math.round((px - size * 0.38) * ratio), Math.round((py - size * 0.38) * ratio), 1, 1).data;
    return {x: box.left + px, y: box.top + py, rgb: [probe[0], probe[1], probe[2]]};
}"""


def _tiles(page: Any) -> dict[str, float | None]:
    return {t["code"]: t["value"] for t in page.evaluate(TILES, None)}


def _tile(page: Any, code: str) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(TILES, code)
    return found


def test_map_chart_and_drill_down_to_a_firm(page: Any, server: str) -> None:
    page.goto(f"{server}/monitor")
    assert page.locator("#monitor-title").inner_text() == "浙江省 · 一图一指数"
    page.wait_for_selector("#monitor-map[data-drawn] canvas")
    page.wait_for_selector("#monitor-series[data-drawn] canvas")
    assert page.locator("nav.nav a.current").inner_text() == "监测"
    # The chart: three indices over the months with the 荣枯线 at 100.
    chart = page.evaluate("""() => {
        const option = echarts.getInstanceByDom(document.getElementById('monitor-series'))
            .getOption();
        return {months: option.xAxis[0].data, series: option.series.length,
                line: option.series[0].markLine.data[0].yAxis};
    }""")
    assert chart["months"][0] == "2020-01" and chart["months"][-1] == "2020-12"
    assert chart["series"] == 3 and chart["line"] == 100
    # Cities: every one drawn with its composite index of the latest month.
    cities = _tiles(page)
    stored = {
        r["code"]: r["composite_index"] for r in index_series("city", None, "2020-12", "2020-12")
    }
    assert len(cities) == 11
    assert cities["330100"] == pytest.approx(stored["330100"])
    # Counties: red below 100, green above, grey without figures.
    page.click("button[data-level=counties]")
    counties = _tiles(page)
    assert len(counties) == 90
    below = min((v, c) for c, v in counties.items() if v is not None)[1]
    above = max((v, c) for c, v in counties.items() if v is not None)[1]
    grey = next(c for c, v in counties.items() if v is None)
    assert counties[below] < 100 < counties[above]
    red, green, blank = (_tile(page, c)["rgb"] for c in (below, above, grey))
    assert red[0] > red[1] + 40, red
    assert green[1] > green[0] + 40, green
    assert max(blank) - min(blank) < 30 and min(blank) > 180, blank
    # Click 宁波市 on the map (city level again): the city's page with its counties.
    page.click("button[data-level=cities]")
    spot = _tile(page, "330200")
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_url("**/monitor/region/330200?period=2020-12&metric=composite")
    assert page.locator("#monitor-trail").inner_text().split() == ["全省", "›", "宁波市"]
    page.wait_for_selector("#monitor-map[data-drawn] canvas")
    assert all(code.startswith("3302") for code in _tiles(page))
    # A county from the table, then a firm from its list (worst composite first).
    county = page.locator("#region-table tbody tr").first
    county_name = county.locator("a").inner_text()
    county.locator("a").click()
    page.wait_for_url("**/monitor/region/3302*")
    assert page.locator("#monitor-trail").inner_text().split() == [
        "全省",
        "›",
        "宁波市",
        "›",
        county_name,
    ]
    page.wait_for_selector("#monitor-series[data-drawn] canvas")
    rows = page.locator("#firm-table tbody tr")
    assert rows.count() >= 1
    values = [
        float(v) for v in rows.locator("td:nth-child(3)").all_inner_texts() if v.strip() != "—"
    ]
    assert values == sorted(values)
    uscc = rows.first.get_attribute("data-uscc")
    name = rows.first.locator("a.firm-link").inner_text()
    rows.first.locator("a.firm-link").click()
    page.wait_for_url(f"**/enterprises/{uscc}")
    assert page.locator("#firm-name").inner_text() == name
    # Back up the trail to the province.
    page.go_back()
    page.click("#monitor-trail >> text=全省")
    page.wait_for_url("**/monitor?period=2020-12")


def test_month_and_metric_selectors(page: Any, server: str) -> None:
    page.goto(f"{server}/monitor")
    page.select_option("#period-select", "2020-06")
    page.wait_for_url("**/monitor?period=2020-06*")
    june = next(r for r in index_series("province", "330000", "2020-06", "2020-06"))
    headline = page.locator("#monitor-headline [data-metric=composite] .stat-value").inner_text()
    assert headline == f"{june['composite_index']:.1f}"
    page.click("#metric-toggle a[data-metric=electricity]")
    page.wait_for_url("**metric=electricity*")
    page.wait_for_selector("#monitor-map[data-drawn] canvas")
    stored = {
        r["code"]: r["electricity_index"] for r in index_series("city", None, "2020-06", "2020-06")
    }
    assert _tiles(page)["330300"] == pytest.approx(stored["330300"])
    excel = page.locator("#regions-excel").get_attribute("href")
    assert excel == "/api/v1/monitor/map.xlsx?level=city&period=2020-06"


def test_rankings_table_map_and_filters(page: Any, server: str) -> None:
    page.goto(f"{server}/monitor/rankings")
    assert page.locator("#rankings-title").inner_text() == "赛马排名"
    page.wait_for_selector("#monitor-map[data-drawn] canvas")
    rows = page.locator("#ranking-table tbody tr")
    assert rows.count() > 10
    ranks = [int(r) for r in rows.evaluate_all("rs => rs.map(r => r.dataset.rank).filter(Boolean)")]
    assert ranks[0] == 1 and ranks == sorted(ranks)
    assert len(_tiles(page)) == 90  # every county, grey where unranked
    page.select_option("#city-select", "330100")
    page.wait_for_url("**city=330100*")
    names = page.locator("#ranking-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names and all("杭州市" in n for n in names)
    assert "city=330100" in (page.locator("#rankings-excel").get_attribute("href") or "")
    page.select_option("#level-select", "city")
    page.wait_for_url("**level=city*")
    assert page.locator("#ranking-table tbody tr").count() >= 1


def test_wall_display_fits_the_screen(wall: Any, server: str) -> None:
    wall.goto(f"{server}/monitor/screen")
    wall.wait_for_selector("#monitor-map[data-drawn] canvas")
    wall.wait_for_selector("#monitor-series[data-drawn] canvas")
    assert wall.locator("header.topbar").count() == 0
    size = wall.evaluate("""() => [document.documentElement.scrollWidth,
        document.documentElement.scrollHeight, window.innerWidth, window.innerHeight]""")
    assert size[0] <= size[2] and size[1] <= size[3], size
    for panel in ("#screen-index", "#screen-alerts", "#screen-top", "#screen-bottom"):
        box = wall.locator(panel).bounding_box()
        assert box["y"] + box["height"] <= 1080 and box["x"] + box["width"] <= 1920, panel
    province = index_series("province", "330000", "2020-12", "2020-12")[0]
    assert wall.locator("#screen-period").inner_text() == "2020-12"
    assert wall.locator("#screen-composite").inner_text() == f"{province['composite_index']:.1f}"
    arrow = "↑" if province["composite_index"] >= 100 else "↓"
    assert wall.locator("#screen-arrow").inner_text() == arrow
    counts = alert_store.open_counts()
    for grade, count in counts.items():
        shown = wall.locator(f"#screen-alerts [data-grade='{grade}'] .screen-grade-count")
        assert shown.inner_text() == str(count)
    assert wall.locator("#screen-top li").count() == 5
    assert wall.locator("#screen-bottom li").count() == 5
    first = wall.locator("#screen-clock").inner_text()
    wall.wait_for_timeout(1100)
    assert wall.locator("#screen-clock").inner_text() != first  # the clock runs
    refresh = wall.locator("meta[http-equiv=refresh]").get_attribute("content")
    assert refresh == "300"
