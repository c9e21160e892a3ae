"""The monitoring API (/api/v1/monitor/index, /map, /firms and their .xlsx) and pages on a small
demo province (300 firms × 24 months, every pipeline stage run), checked against the stored
indices and by summing the firms' own figures; bad input answers 404/422, never a 500."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from chainwatch.config import reset_settings
from chainwatch.demo import prepare_demo
from chainwatch.monitor.indices import index_series
from chainwatch.store.db import ensure_database
from chainwatch.web.app import create_app
from chainwatch.web.pages.monitor import index_spread

FIRMS, MONTHS, SEED = 300, 24, 2020
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("monitor-api")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            prepare_demo(FIRMS, MONTHS, SEED)
            with TestClient(create_app()) as fresh:
                yield fresh
        finally:
            reset_settings()


def get_json(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    book = load_workbook(io.BytesIO(response.content))
    return list(book.worksheets[0].iter_rows(values_only=True))


def busiest_county(client: TestClient) -> dict[str, Any]:
    found = get_json(client, "/api/v1/monitor/map?level=county")
    return max(found["regions"], key=lambda r: (r["firms"], r["code"]))


def test_map_of_cities_matches_the_stored_city_indices(client: TestClient) -> None:
    found = get_json(client, "/api/v1/monitor/map?level=city")
    assert found["province"] == {"code": "330000", "name": "浙江省"}
    assert found["period"] == found["periods"][-1] == "2020-12"  # the latest calendar month
    assert "2020-01+02" in found["periods"] and not any(p < "2020" for p in found["periods"])
    cities = {r["code"]: r for r in found["regions"]}
    assert len(cities) == 11 and cities["330100"]["name"] == "杭州市"
    stored = {r["code"]: r for r in index_series("city", None, "2020-12", "2020-12")}
    assert set(stored) <= set(cities)
    for code, row in stored.items():
        for key in ("sales_index", "electricity_index", "composite_index"):
            assert cities[code][key] == pytest.approx(row[key])
        assert cities[code]["firms"] == max(row["sales_matched"], row["electricity_matched"])
        assert cities[code]["longitude"] and cities[code]["latitude"]


def test_map_of_one_citys_counties_for_an_earlier_month(client: TestClient) -> None:
    found = get_json(client, "/api/v1/monitor/map?level=county&city=330200&period=2020-06")
    assert found["city"] == {"code": "330200", "name": "宁波市"} and found["period"] == "2020-06"
    codes = [r["code"] for r in found["regions"]]
    assert codes and all(c.startswith("3302") for c in codes)
    stored = {r["code"]: r for r in index_series("county", None, "2020-06", "2020-06")}
    for row in found["regions"]:
        if row["code"] in stored:
            assert row["composite_index"] == pytest.approx(stored[row["code"]]["composite_index"])
        else:  # a county without firms is on the map, grey
            assert row["composite_index"] is None and row["firms"] == 0
    combined = get_json(client, "/api/v1/monitor/map?level=city&period=2020-01%2B02")
    assert combined["period"] == "2020-01+02"


def test_firms_add_up_to_their_county(client: TestClient) -> None:
    county = busiest_county(client)
    found = get_json(client, f"/api/v1/monitor/firms?county={county['code']}&limit=5000")
    assert found["county"]["code"] == county["code"] and found["period"] == "2020-12"
    rows = found["rows"]
    assert found["total"] == len(rows) >= county["firms"] > 0
    matched = [r for r in rows if r["sales_index"] is not None]
    assert len(matched) == county["firms"]
    # December has 31 days both years, so the county's index is the ratio of the sums.
    sales_now = sum(r["sales_now"] for r in matched)
    sales_before = sum(r["sales_before"] for r in matched)
    assert 100 * sales_now / sales_before == pytest.approx(county["sales_index"])
    for row in matched:
        assert row["sales_index"] == pytest.approx(100 * row["sales_now"] / row["sales_before"])
        assert row["uscc"] and len(row["uscc"]) == 18 and row["name"]
    composites = [r["composite_index"] for r in rows if r["composite_index"] is not None]
    assert composites == sorted(composites)  # worst first
    best = get_json(client, f"/api/v1/monitor/firms?county={county['code']}&order=desc&limit=2")
    assert len(best["rows"]) == 2 and best["total"] == found["total"]
    assert best["rows"][0]["composite_index"] == max(composites)
    named = get_json(client, f"/api/v1/monitor/firms?county={county['code']}&sort=name")
    names = [r["name"] for r in named["rows"]]
    assert names == sorted(names)


def test_index_series_endpoint(client: TestClient) -> None:
    found = get_json(client, "/api/v1/monitor/index?scope=city&code=330100&from=2020-01&to=2020-03")
    assert found["scope"] == "city" and found["code"] == "330100" and found["name"] == "杭州市"
    assert [r["period"] for r in found["rows"]] == ["2020-01", "2020-02", "2020-01+02", "2020-03"]
    expected = index_series("city", "330100", "2020-01", "2020-03")
    assert [r["composite_index"] for r in found["rows"]] == pytest.approx(
        [r["composite_index"] for r in expected]
    )


def test_excel_downloads(client: TestClient) -> None:
    series = sheet_rows(client.get("/api/v1/monitor/index.xlsx?scope=province&code=330000"))
    assert series[0][:4] == ("月份", "税电指数", "销售指数", "用电指数")
    province = index_series("province", "330000")
    assert len(series) == 1 + len(province)
    december = next(r for r in series if r[0] == "2020-12")
    stored = next(r for r in province if r["period"] == "2020-12")
    assert december[1] == pytest.approx(stored["composite_index"])

    cities = sheet_rows(client.get("/api/v1/monitor/map.xlsx?level=city&period=2020-06"))
    assert cities[0][:2] == ("地区代码", "地区") and len(cities) == 1 + 11

    county = busiest_county(client)
    firms = sheet_rows(client.get(f"/api/v1/monitor/firms.xlsx?county={county['code']}"))
    assert firms[0][:2] == ("统一社会信用代码", "企业名称")
    listed = get_json(client, f"/api/v1/monitor/firms?county={county['code']}")
    assert len(firms) == 1 + listed["total"]
    # The headers follow the language (last: ?lang= is remembered in a cookie).
    english = sheet_rows(client.get("/api/v1/monitor/map.xlsx?level=city&lang=en"))
    assert english[0][:3] == ("Region code", "Region", "Composite index")


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/v1/monitor/map?period=2020-13", 422, "not a month"),
        ("/api/v1/monitor/map?period=last", 422, "not a month"),
        ("/api/v1/monitor/map?period=2015-03", 404, "2020-01 to 2020-12"),
        ("/api/v1/monitor/map?level=town", 422, "level"),
        ("/api/v1/monitor/map?level=city&city=330100", 422, "level=county"),
        ("/api/v1/monitor/map?level=county&city=330106", 422, "not a city"),
        ("/api/v1/monitor/map?level=county&city=339999", 404, "339999"),
        ("/api/v1/monitor/index?scope=county&code=999999", 404, "999999"),
        ("/api/v1/monitor/index?scope=planet", 422, "scope"),
        ("/api/v1/monitor/index?scope=city&code=330100&from=2020-05&to=2020-01", 422, "after"),
        ("/api/v1/monitor/firms?county=330100", 422, "firms are listed for a county"),
        ("/api/v1/monitor/firms?county=3301", 422, "county"),
        ("/api/v1/monitor/firms?county=330106&sort=size", 422, "sort"),
        ("/api/v1/monitor/firms.xlsx?county=330106&period=2020-00", 422, "not a month"),
    ],
)
def test_bad_input_is_a_clear_error(client: TestClient, url: str, status: int, words: str) -> None:
    body = get_json(client, url, status)
    assert body["ok"] is False and body["status"] == status
    assert words in body["error"]


def test_pages_render_and_refuse_bad_addresses(client: TestClient) -> None:
    page = client.get("/monitor?lang=zh-CN")
    assert page.status_code == 200
    assert "浙江省 · 一图一指数" in page.text and 'id="monitor-data"' in page.text
    assert "/api/v1/monitor/map.xlsx?level=city&amp;period=2020-12" in page.text
    city = client.get("/monitor/region/330100?period=2020-06&metric=sales")
    assert city.status_code == 200 and "杭州市" in city.text and "2020-06" in city.text
    county = busiest_county(client)
    page = client.get(f"/monitor/region/{county['code']}")
    assert page.status_code == 200 and 'class="firm-link" href="/enterprises/' in page.text
    for url, status in (
        ("/monitor/region/999999", 404),
        ("/monitor/region/abc", 404),
        ("/monitor?period=2020-13", 422),
        ("/monitor?period=2015-01", 404),
        ("/monitor?metric=profit", 422),
        ("/monitor/region/330106?sort=size", 422),
        ("/monitor/rankings?level=town", 422),
    ):
        answer = client.get(url)
        assert answer.status_code == status, url
        assert "<!doctype html>" in answer.text and "Traceback" not in answer.text
    screen = client.get("/monitor/screen")
    assert screen.status_code == 200 and 'http-equiv="refresh" content="300"' in screen.text
    assert 'class="topbar"' not in screen.text  # no site navigation on the wall display
    english = client.get("/monitor?lang=en")
    assert "Composite index" in english.text


def test_without_a_monitor_run(home: Path) -> None:
    ensure_database()
    with TestClient(create_app()) as fresh:
        page = fresh.get("/monitor")
        assert page.status_code == 200
        assert "chainwatch run monitor" in page.text and "尚未计算监测指数" in page.text
        assert "chainwatch run monitor" in fresh.get("/monitor/screen").text
        body = get_json(fresh, "/api/v1/monitor/map", 409)
        assert "chainwatch run monitor" in body["error"]
        get_json(fresh, "/api/v1/monitor/firms?county=330106", 409)


def test_index_colour_scale_holds_most_regions() -> None:
    assert index_spread([]) == 10
    assert index_spread([99.0, 101.5, None]) == 10
    assert index_spread([80.0, 112.0, 104.0]) == 20
    # One outlier in ten takes the end colour instead of stretching the scale.
    assert index_spread([100 + d for d in (1, 2, 3, 4, 5, 6, 7, 8, 9, 90.0)]) == 10
    assert index_spread([300.0] * 10) == 50
