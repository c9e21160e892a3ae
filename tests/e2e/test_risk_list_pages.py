"""The risk list in a real browser (headless Chromium against uvicorn) on a small demo province:
the IC chain's list with the photoresist on top in red, its item page, a status change through
the form (a refused one first), and the printable report as it prints (A4, no navigation)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from chainwatch.demo import prepare_demo
from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, served_home

pytestmark = pytest.mark.browser


def _prepare() -> None:
    prepare_demo(600, 24, 2020)  # runs every pipeline stage, the screening included


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_home(tmp_path_factory.mktemp("risk-list-e2e"), _prepare) as url:
        yield url


def test_list_item_form_and_report(server: str) -> None:
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

        page.goto(f"{server}/")
        page.click("nav.nav a[href='/risk']")
        page.wait_for_url("**/risk")
        page.select_option("#filter-chain", "ic")
        page.click("#risk-filter button[type=submit]")
        page.wait_for_url("**/risk?chain=ic*")
        first = page.locator("#risk-items tbody tr").first
        assert "光刻胶" in first.inner_text()
        badge = first.locator(".grade")
        assert badge.inner_text() == "高"
        assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(217, 48, 37)"

        first.locator("a.risk-explanation").click()
        page.wait_for_url("**/risk/items/*")
        assert "全部来自日本" in page.locator("#item-explanation").inner_text()
        assert "日本" in page.locator("#item-countries").inner_text()
        assert page.locator("#item-affected tbody tr").count() >= 1

        page.select_option("#form-status", "已排除")
        page.click("#form-submit")
        assert "reason" in page.locator("#item-error").inner_text()
        page.select_option("#form-status", "已确认")
        page.fill("#form-owner", "省经信厅材料处")
        page.fill("#form-action", "摸排库存并组织替代验证")
        page.click("#form-submit")
        page.wait_for_selector("#item-history")
        assert page.locator("#item-status").inner_text() == "已确认"
        history = page.locator("#item-history").inner_text()
        assert "待核实 → 已确认" in history and "摸排库存并组织替代验证" in history

        page.goto(f"{server}/risk/report?chain=ic")
        page.emulate_media(media="print")
        assert not page.locator("header.topbar").is_visible()
        assert not page.locator(".risk-subnav").first.is_visible()
        report = page.locator("#risk-report").inner_text()
        assert "集成电路" in report and "光刻胶" in report and "省经信厅材料处" in report
        pdf = page.pdf(format="A4")
        assert pdf[:4] == b"%PDF"
        context.close()
        browser.close()
    outside = [u for u in requested if urlsplit(u).hostname not in (None, "127.0.0.1")]
    assert outside == [] and errors == []
