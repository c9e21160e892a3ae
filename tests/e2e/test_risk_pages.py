"""The scenario form in a real browser (headless Chromium against uvicorn) on a small demo
province: choose a product cut, run it, read the result page with its loss map, and compare it
with a second scenario; nothing is requested from any other host."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from chainwatch.demo import prepare_demo
from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, served_home

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("risk-e2e")
    with served_home(home, lambda: prepare_demo(600, 24, 2020), need_charts=True) as url:
        yield url


def test_run_a_scenario_from_the_form_and_compare(server: str) -> None:
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        context.on("request", lambda request: requested.append(request.url))
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))

        page.goto(f"{server}/risk/scenarios")
        page.fill("input[name=name]", "光刻胶断供")
        page.select_option("#shock-product", "370790")
        page.fill("input[name=product_capacity]", "0")
        page.click("#scenario-run")
        page.wait_for_url("**/risk/scenarios/s*")
        assert page.locator("#scenario-name").inner_text() == "光刻胶断供"
        assert "晶圆制造" in page.locator("#loss-segments").inner_text()
        page.wait_for_selector("#loss-map canvas")
        page.click("button[data-level=counties]")
        tiles = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('loss-map'))
            .getOption().series[0].data.filter(d => d.count > 0).length""")
        assert tiles >= 1

        page.goto(f"{server}/risk/scenarios")
        page.fill("input[name=name]", "桐乡市 30%")
        page.select_option("#shock-region", "330483")
        page.fill("input[name=region_capacity]", "30")
        page.click("#scenario-run")
        page.wait_for_url("**/risk/scenarios/s*")
        assert "桐乡市" in page.locator("#loss-regions").inner_text()

        page.goto(f"{server}/risk/scenarios")
        page.check("input[aria-label='光刻胶断供']")
        page.check("input[aria-label='桐乡市 30%']")
        page.click("#compare-run")
        page.wait_for_url("**/risk/compare?*")
        header = page.locator("#compare-totals thead").inner_text()
        assert "光刻胶断供" in header and "桐乡市 30%" in header
        context.close()
        browser.close()
    outside = [u for u in requested if urlsplit(u).hostname not in (None, "127.0.0.1")]
    assert outside == [] and errors == []
