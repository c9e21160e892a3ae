"""The web app against a temporary CHAINWATCH_HOME: JSON API, error shapes, pages, languages.

Seven hand-made firms: six in Zhejiang (three in Hangzhou, two in Ningbo, one in Wenzhou) and
one in Anhui, so every count below can be checked by eye against ``FIRMS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stdnum.cn import uscc as uscc_check

from chainwatch.config import reset_settings
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import Enterprise, IngestBatch
from chainwatch.web.app import create_app


def code(body: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters."""
    return body + uscc_check.calc_check_digit(body)


CHIP = code("91330106MA2B0Y8X3")
CLOUD = code("91330108MA27XK0L2")
PARTS = code("91330206MA2GQ1RU5")
BATTERY = code("91330212MA2H4T6Y7")
SHOES = code("91330302MA2AP9E05")
HEFEI = code("91340104MA2TB3Q22")
TRADER = code("91330106MA2CD7NB1")

# uscc, name, region, industry, scale, employees, land (mu), tags
FIRMS: list[tuple[str, str, str, str, str | None, int | None, str | None, list[str]]] = [
    (CHIP, "杭州芯微电子有限公司", "330106", "3973", "规上", 320, "45.5", ["专精特新", "小巨人"]),
    (CLOUD, "杭州云图科技股份有限公司", "330108", "3912", "规上", 150, "20", ["专精特新"]),
    (PARTS, "宁波恒远汽车零部件有限公司", "330206", "3670", "规上", 800, "120", ["链主"]),
    (BATTERY, "宁波甬能电池科技有限公司", "330212", "3841", "规下", 60, None, []),
    (SHOES, "温州鹿城鞋业有限公司", "330302", "1952", "规下", 40, None, []),
    (HEFEI, "合肥晶合半导体有限公司", "340104", "3973", "规上", 500, None, ["专精特新"]),
    (TRADER, "杭州西湖贸易有限公司", "330106", "5191", None, None, None, []),
]


def seed_batches() -> tuple[int, int]:
    with session_scope() as session:
        first = IngestBatch(
            kind="enterprises",
            file="firms-2025.csv",
            sha256="a" * 64,
            rows=8,
            loaded=7,
            rejected=1,
            skipped=0,
            status="loaded",
            finished_at=dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC),
        )
        second = IngestBatch(
            kind="invoices",
            file="invoices-2025-12.csv",
            sha256="b" * 64,
            rows=0,
            loaded=0,
            rejected=0,
            skipped=0,
            status="failed",
            message="header 金额 missing",
        )
        session.add_all([first, second])
        session.flush()
        return first.id, second.id


def seed_firms(batch_id: int | None = None) -> None:
    with session_scope() as session:
        for uscc, name, region, industry, scale, employees, land, tags in FIRMS:
            session.add(
                Enterprise(
                    uscc=uscc,
                    name=name,
                    region_code=region,
                    industry_code=industry,
                    scale=scale,
                    employees=employees,
                    land_area_mu=Decimal(land) if land else None,
                    founded_on=dt.date(2015, 6, 1),
                    tags=tags,
                    business_scope="集成电路设计、制造",
                    longitude=120.13,
                    latitude=30.26,
                    batch_id=batch_id,
                )
            )


@pytest.fixture()
def empty_client(home: Path) -> Iterator[TestClient]:
    ensure_database()
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One seeded database for the read-only tests of this module (migrations take a while)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("home")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            ensure_database()
            first, _second = seed_batches()
            seed_firms(first)
            yield create_app()
        finally:
            reset_settings()


@pytest.fixture()
def client(seeded_app: Any) -> Iterator[TestClient]:
    """A fresh client (no language cookie yet) on the seeded database."""
    with TestClient(seeded_app) as fresh:
        yield fresh


def get_json(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


def usccs(answer: dict[str, Any]) -> set[str]:
    return {item["uscc"] for item in answer["items"]}


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {CHIP, CLOUD, PARTS, BATTERY, SHOES, HEFEI, TRADER}),
        ("q=杭州", {CHIP, CLOUD, TRADER}),
        ("q=鞋业", {SHOES}),
        (f"q={PARTS[:10].lower()}", {PARTS}),
        ("q=9133", {CHIP, CLOUD, PARTS, BATTERY, SHOES, TRADER}),
        ("region=330000", {CHIP, CLOUD, PARTS, BATTERY, SHOES, TRADER}),
        ("region=330100", {CHIP, CLOUD, TRADER}),
        ("region=330200", {PARTS, BATTERY}),
        ("region=330106", {CHIP, TRADER}),
        ("region=340000", {HEFEI}),
        ("region=310000", set()),
        ("industry=C", {CHIP, CLOUD, PARTS, BATTERY, SHOES, HEFEI}),
        ("industry=F", {TRADER}),
        ("industry=39", {CHIP, CLOUD, HEFEI}),
        ("industry=397", {CHIP, HEFEI}),
        ("industry=C3973", {CHIP, HEFEI}),
        ("industry=c3912", {CLOUD}),
        ("tag=专精特新", {CHIP, CLOUD, HEFEI}),
        ("tag=链主", {PARTS}),
        ("tag=单项冠军", set()),
        ("scale=规上", {CHIP, CLOUD, PARTS, HEFEI}),
        ("scale=规下", {BATTERY, SHOES}),
        ("region=330000&tag=专精特新&scale=规上", {CHIP, CLOUD}),
        ("region=330100&industry=39&q=云图", {CLOUD}),
    ],
)
def test_search_filters(client: TestClient, query: str, expected: set[str]) -> None:
    answer = get_json(client, f"/api/v1/enterprises?{query}")
    assert usccs(answer) == expected
    assert answer["total"] == len(expected)


def test_search_pages_are_ordered_and_disjoint(client: TestClient) -> None:
    pages = [get_json(client, f"/api/v1/enterprises?per_page=3&page={n}") for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert all(p["total"] == 7 and p["per_page"] == 3 for p in pages)
    names = [item["name"] for p in pages for item in p["items"]]
    assert names == sorted(name for _u, name, *_rest in FIRMS)
    assert get_json(client, "/api/v1/enterprises?per_page=3&page=4")["items"] == []


def test_search_items_carry_names(client: TestClient) -> None:
    item = get_json(client, "/api/v1/enterprises?q=芯微")["items"][0]
    assert item == {
        "uscc": CHIP,
        "name": "杭州芯微电子有限公司",
        "region_code": "330106",
        "region_name": "西湖区",
        "industry_code": "3973",
        "industry_name": "集成电路制造",
        "scale": "规上",
        "employees": 320,
        "tags": ["专精特新", "小巨人"],
    }
    english = get_json(client, "/api/v1/enterprises?q=芯微&lang=en")["items"][0]
    assert english["industry_name"] == "Integrated circuits"


# --- one firm ----------------------------------------------------------------------------------


def test_detail_accepts_lower_case_and_names_every_level(client: TestClient) -> None:
    firm = get_json(client, f"/api/v1/enterprises/{CHIP.lower()}")
    assert firm["uscc"] == CHIP
    assert firm["region_path"] == [
        {"code": "330000", "name": "浙江省"},
        {"code": "330100", "name": "杭州市"},
        {"code": "330106", "name": "西湖区"},
    ]
    assert firm["city"] == {"code": "330100", "name": "杭州市"}
    assert firm["province"] == {"code": "330000", "name": "浙江省"}
    assert firm["division"] == {"code": "39", "name": "计算机、通信和其他电子设备制造业"}
    assert firm["section"] == {"code": "C", "name": "制造业"}
    assert firm["land_area_mu"] == 45.5
    assert firm["founded_on"] == "2015-06-01"
    assert firm["tags"] == ["专精特新", "小巨人"]
    assert firm["batch_id"] == 1


def test_detail_of_unknown_firm_is_404_in_house_shape(client: TestClient) -> None:
    missing = code("91330106MA2XXXXXX")
    body = get_json(client, f"/api/v1/enterprises/{missing}", 404)
    assert body["ok"] is False and body["status"] == 404 and body["errors"] == []
    assert missing in body["error"]
    short = get_json(client, "/api/v1/enterprises/9133", 404)
    assert "4 characters, not 18" in short["error"]


# --- overview and batches ----------------------------------------------------------------------


def test_overview_counts(client: TestClient) -> None:
    data = get_json(client, "/api/v1/overview")
    assert data["province"] == {"code": "330000", "name": "浙江省"}
    assert data["totals"] == {
        "enterprises": 6,
        "employees": 1370,
        "land_area_mu": 185.5,
        "above_scale": 3,
        "outside_province": 1,
    }
    cities = {c["code"]: c["count"] for c in data["by_city"]}
    assert len(cities) == 11
    assert {c: n for c, n in cities.items() if n} == {"330100": 3, "330200": 2, "330300": 1}
    hangzhou = next(c for c in data["by_city"] if c["code"] == "330100")
    assert (hangzhou["name"], hangzhou["longitude"], hangzhou["latitude"]) == (
        "杭州市",
        120.21,
        30.25,
    )
    counties = {c["code"]: c["count"] for c in data["by_county"] if c["count"]}
    assert counties == {"330106": 2, "330108": 1, "330206": 1, "330212": 1, "330302": 1}
    assert data["unplaced"] == 0
    assert data["by_section"] == [
        {"code": "C", "name": "制造业", "count": 5},
        {"code": "F", "name": "批发和零售业", "count": 1},
    ]
    divisions = {d["code"]: (d["section"], d["count"]) for d in data["by_division"]}
    assert divisions == {
        "39": ("C", 2),
        "36": ("C", 1),
        "38": ("C", 1),
        "19": ("C", 1),
        "51": ("F", 1),
    }
    assert data["by_division"][0]["code"] == "39"
    assert data["by_scale"] == [
        {"scale": "规上", "count": 3},
        {"scale": "规下", "count": 2},
        {"scale": None, "count": 1},
    ]
    assert data["by_tag"] == [
        {"tag": "专精特新", "count": 2},
        {"tag": "小巨人", "count": 1},
        {"tag": "链主", "count": 1},
    ]


def test_overview_of_another_province(client: TestClient) -> None:
    data = get_json(client, "/api/v1/overview?province=340000&lang=en")
    assert data["province"] == {"code": "340000", "name": "安徽省"}
    assert data["totals"]["enterprises"] == 1 and data["totals"]["outside_province"] == 6
    assert data["by_section"] == [{"code": "C", "name": "Manufacturing", "count": 1}]


def test_overview_of_empty_registry(empty_client: TestClient) -> None:
    data = get_json(empty_client, "/api/v1/overview")
    assert data["province"] is None and data["totals"]["enterprises"] == 0
    assert get_json(empty_client, "/api/v1/enterprises")["total"] == 0


def test_batches_newest_first(client: TestClient) -> None:
    items = get_json(client, "/api/v1/batches")["items"]
    assert [(b["id"], b["kind"], b["status"]) for b in items] == [
        (2, "invoices", "failed"),
        (1, "enterprises", "loaded"),
    ]
    assert items[1]["rows"] == 8 and items[1]["rejected"] == 1
    assert items[0]["message"] == "header 金额 missing"
    only = get_json(client, "/api/v1/batches?kind=enterprises")["items"]
    assert [b["id"] for b in only] == [1]


def test_times_are_answered_in_utc(client: TestClient) -> None:
    loaded = get_json(client, "/api/v1/batches?kind=enterprises")["items"][0]
    assert loaded["finished_at"] in ("2026-01-05T09:30:00Z", "2026-01-05T09:30:00+00:00")


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("region=33", "region"),
        ("region=abcdef", "region"),
        ("industry=C39X", "industry"),
        ("scale=大型", "scale"),
        ("lang=fr", "lang"),
    ],
)
def test_bad_parameters_are_422_in_house_shape(client: TestClient, query: str, field: str) -> None:
    body = get_json(client, f"/api/v1/enterprises?{query}", 422)
    assert body["ok"] is False and body["status"] == 422
    assert body["error"].startswith("invalid request: ")
    assert [e["field"] for e in body["errors"]] == [field]
    assert field in body["error"]


def test_industry_of_wrong_section_is_422(client: TestClient) -> None:
    body = get_json(client, "/api/v1/enterprises?industry=A3973", 422)
    assert body["ok"] is False and "GB/T 4754" in body["error"]


def test_unknown_api_route_and_method(client: TestClient) -> None:
    body = get_json(client, "/api/v1/nothing-here", 404)
    assert (
        body == {"ok": False, "status": 404, "errors": [], "error": body["error"]}
        and "/api/v1/nothing-here" in body["error"]
    )
    response = client.post("/api/v1/enterprises")
    assert response.status_code == 405
    assert response.json()["ok"] is False and response.json()["status"] == 405


def test_openapi_documents_routes_and_error_shape(client: TestClient) -> None:
    spec = get_json(client, "/openapi.json")
    assert {
        "/api/v1/enterprises",
        "/api/v1/enterprises/{uscc}",
        "/api/v1/overview",
        "/api/v1/batches",
    } <= set(spec["paths"])
    responses = spec["paths"]["/api/v1/enterprises"]["get"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert not any(path.startswith("/enterprises") for path in spec["paths"])  # pages hidden


def test_docs_page_loads_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text and "http://" not in page.text
    if client.app.state.swagger_available:  # type: ignore[attr-defined]
        assert "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page.text
    else:
        assert "npm ci" in page.text


# --- pages and languages -----------------------------------------------------------------------


def test_overview_page_in_chinese_by_default(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    for text in (
        "全省概览",
        "浙江省",
        "企业分布示意图",
        "审图号",
        'href="/enterprises?region=330100"',
    ):
        assert text in page.text


def test_language_switch_sets_a_cookie(client: TestClient) -> None:
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Province overview" in english.text
    assert "chainwatch_lang=en" in english.headers["set-cookie"]
    # The cookie keeps English on the next page without the parameter.
    follow = client.get("/enterprises")
    assert '<html lang="en">' in follow.text and "Enterprise search" in follow.text
    assert 'href="/enterprises?lang=zh-CN"' in follow.text
    back = client.get("/batches?lang=zh-CN")
    assert "数据导入批次" in back.text and "chainwatch_lang=zh-CN" in back.headers["set-cookie"]


def test_search_page_lists_matches(client: TestClient) -> None:
    page = client.get("/enterprises", params={"q": "宁波", "scale": "", "region": ""})
    assert page.status_code == 200
    assert "共 2 家企业" in page.text
    assert f'href="/enterprises/{PARTS}"' in page.text and "宁波甬能电池科技有限公司" in page.text
    assert "温州鹿城鞋业有限公司" not in page.text


def test_search_page_reports_bad_filter_in_place(client: TestClient) -> None:
    page = client.get("/enterprises?industry=Z99")
    assert page.status_code == 200
    assert "GB/T 4754-2017" in page.text and "共 0 家企业" in page.text


def test_enterprise_page_shows_profile_without_empty_fields(client: TestClient) -> None:
    page = client.get(f"/enterprises/{CHIP.lower()}")
    assert page.status_code == 200
    for text in ("杭州芯微电子有限公司", "企业档案", "西湖区", "集成电路制造", "45.50", "专精特新"):
        assert text in page.text
    bare = client.get(f"/enterprises/{TRADER}").text
    assert "杭州西湖贸易有限公司" in bare
    # No scale, employees or land for this firm: the labels must not appear at all.
    assert "从业人员" not in bare and "用地面积" not in bare and "企业规模" not in bare


def test_friendly_404_pages(client: TestClient) -> None:
    missing = client.get(f"/enterprises/{code('91330106MA2XXXXXX')}")
    assert missing.status_code == 404 and "未找到该页面或记录" in missing.text
    nowhere = client.get("/no/such/page?lang=en")
    assert nowhere.status_code == 404 and "Page or record not found" in nowhere.text


def test_batches_page(client: TestClient) -> None:
    page = client.get("/batches")
    assert page.status_code == 200
    for text in ("firms-2025.csv", "已完成", "失败", "header 金额 missing", "企业名录"):
        assert text in page.text


def test_empty_registry_pages_say_how_to_load(empty_client: TestClient) -> None:
    for url in ("/", "/enterprises"):
        page = empty_client.get(url)
        assert page.status_code == 200
        assert "暂无企业数据" in page.text and "chainwatch demo" in page.text
    assert "尚未导入任何数据" in empty_client.get("/batches").text


# --- front-end assets --------------------------------------------------------------------------


def test_vendor_assets_served_from_assets_dir(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "assets" / "node_modules" / "echarts" / "dist"
    dist.mkdir(parents=True)
    (dist / "echarts.min.js").write_text("/* echarts stand-in */", encoding="utf-8")
    monkeypatch.setenv("CHAINWATCH_ASSETS_DIR", str(tmp_path / "assets"))
    reset_settings()
    ensure_database()
    seed_firms()
    with TestClient(create_app()) as client:
        script = client.get("/static/vendor/echarts/echarts.min.js")
        assert script.status_code == 200 and "stand-in" in script.text
        page = client.get("/").text
        assert 'src="/static/vendor/echarts/echarts.min.js"' in page
        assert 'id="region-map"' in page and "charts-missing" not in page
        assert "npm ci" in client.get("/docs").text  # swagger-ui-dist is not in this folder


def test_pages_without_vendor_assets_keep_tables(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nothing").mkdir()
    monkeypatch.setenv("CHAINWATCH_ASSETS_DIR", str(tmp_path / "nothing"))
    reset_settings()
    ensure_database()
    seed_firms()
    with TestClient(create_app()) as client:
        page = client.get("/").text
        assert 'id="charts-missing"' in page and "npm ci" in page
        assert "echarts.min.js" not in page
        assert 'href="/enterprises?region=330200"' in page  # the table still links regions


def test_names_are_escaped_in_pages(client: TestClient) -> None:
    page = client.get("/enterprises", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# --- chainwatch serve --------------------------------------------------------------------------


def test_serve_refuses_a_port_in_use(home: Path) -> None:
    import socket

    from chainwatch.cli.serve import serve
    from chainwatch.errors import ConfigError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve(host="127.0.0.1", port=port)
