"""The monthly report form in a real browser: fill it in, add a line, see a flag, confirm it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from chainwatch.monitor import reporting
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import Enterprise
from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, served_home
from tests.unit.monitor.report_cases import FIRM, report_data

pytestmark = pytest.mark.browser


def _seed() -> None:
    ensure_database()
    with session_scope() as session:
        session.add(
            Enterprise(
                uscc=FIRM,
                name="甲芯片有限公司",
                region_code="330106",
                industry_code="3973",
                scale="规上",
                tags=[],
            )
        )
    for month in range(1, 13):
        reporting.submit_report(
            report_data(period=f"2024-{month:02d}"), now=dt.datetime(2025, 1, 5, tzinfo=dt.UTC)
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_home(tmp_path_factory.mktemp("home"), _seed) as url:
        yield url


@pytest.fixture()
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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


def test_submit_the_form_see_a_flag_and_confirm(page: Any, server: str) -> None:
    page.goto(f"{server}/report/{FIRM}?period=2025-01")
    assert "企业月度直报" in page.locator("h1").inner_text()
    assert "2025-02-08" in page.locator("#deadline").inner_text()
    # Leave a required figure out first: the problem shows beside the field.
    page.fill("input[name=output]", "12,000,000")
    for name, value in (
        ("value_added", "250000"),
        ("revenue", "950000"),
        ("profit", "60000"),
        ("electricity_kwh", "20000"),
    ):
        page.fill(f"input[name={name}]", value)
    page.fill("#products tbody tr.line >> nth=0 >> [data-key=name]", "晶圆")
    page.fill("#products tbody tr.line >> nth=0 >> [data-key=unit]", "片")
    page.fill("#products tbody tr.line >> nth=0 >> [data-key=quantity]", "1000")
    page.click("button.add-line[data-table=prices]")
    page.fill("#prices tbody tr.line >> nth=0 >> [data-key=material]", "多晶硅")
    page.fill("#prices tbody tr.line >> nth=0 >> [data-key=unit]", "元/千克")
    page.fill("#prices tbody tr.line >> nth=0 >> [data-key=price]", "65.5")
    page.click("#submit")
    error = page.locator("label[data-field=taxes] .field-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "税收为必填项"
    # Fill it in and submit: the output, twelve times the usual, comes back flagged.
    page.fill("input[name=taxes]", "40000")
    page.click("#submit")
    flags = page.locator("#flag-list li")
    flags.first.wait_for(state="visible")
    assert flags.count() == 1
    assert "工业总产值 12,000,000 元 与本企业历史不符" in flags.first.inner_text()
    assert page.locator("#status-value").inner_text() == "待确认"
    page.fill("#confirm-note", "年初集中交付")
    page.click("#confirm")
    page.wait_for_function("document.getElementById('status-value').textContent === '已确认'")
    assert page.locator("#confirm-box").is_hidden()
    stored = reporting.get_report(FIRM, "2025-01")
    assert stored["source"] == "page" and stored["status"] == "已确认"
    assert [p["material"] for p in stored["prices"]] == ["多晶硅"]
    assert stored["revisions"][-1]["note"] == "年初集中交付"
