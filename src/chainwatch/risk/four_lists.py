"""Chongqing's 四张清单 as views of the risk items (nothing stored of their own):

overseas      境外断供风险清单: open items whose risk lies abroad — foreign dependence,
              a foreign single source, an interrupted import
stock         储备与全球调配需求清单: per affected importer of those items, its monthly imports,
              the stock to hold (``stock_months`` of imports) and other countries to buy from
substitutes   国内及低风险地区替代清单: alternatives for those items — makers in the province,
              suppliers elsewhere in China, countries of low country risk already supplying
logistics     跨境物流需求清单: the cross-border import flows those items rest on (firm ×
              country), with monthly value and the months they ran in the window
"""

from __future__ import annotations

from typing import Any

from chainwatch.risk.findings import country_name
from chainwatch.risk.riskitems import list_items
from chainwatch.risk.screening_settings import ScreeningSettings, load_screening_settings

VIEWS = ("overseas", "stock", "substitutes", "logistics")
TITLES = {
    "overseas": ("境外断供风险清单", "Overseas supply-cut risks"),
    "stock": ("储备与全球调配需求清单", "Stock-up and global dispatch needs"),
    "substitutes": ("国内及低风险地区替代清单", "Domestic and low-risk-region substitutes"),
    "logistics": ("跨境物流需求清单", "Cross-border logistics needs"),
}
FOREIGN_SCREENS = ("dependence", "interruption", "foreign")
SCOPES = {
    "province": ("省内", "province"),
    "country": ("省外", "rest of China"),
    "abroad": ("境外", "abroad"),
}

# column key, Chinese label, English label, kind (text / money / share / int)
COLUMNS: dict[str, list[tuple[str, str, str, str]]] = {
    "overseas": [
        ("id", "编号", "ID", "int"),
        ("grade", "等级", "Grade", "text"),
        ("chain", "产业链", "Chain", "text"),
        ("subject", "风险对象", "Subject", "text"),
        ("countries", "来源国", "Source countries", "text"),
        ("import_share", "进口占比", "Import share", "share"),
        ("imports", "进口额(元)", "Imports (yuan)", "money"),
        ("affected", "涉及企业数", "Firms affected", "int"),
        ("status", "状态", "Status", "text"),
    ],
    "stock": [
        ("id", "编号", "ID", "int"),
        ("grade", "等级", "Grade", "text"),
        ("subject", "风险对象", "Subject", "text"),
        ("uscc", "统一社会信用代码", "Credit code", "text"),
        ("name", "企业名称", "Firm", "text"),
        ("countries", "当前来源国", "Current sources", "text"),
        ("monthly", "月均进口(元)", "Monthly imports (yuan)", "money"),
        ("stock", "建议储备(元)", "Stock to hold (yuan)", "money"),
        ("dispatch", "可调配来源国", "Other countries to buy from", "text"),
    ],
    "substitutes": [
        ("id", "编号", "ID", "int"),
        ("grade", "等级", "Grade", "text"),
        ("subject", "风险对象", "Subject", "text"),
        ("scope", "替代来源", "Where", "text"),
        ("uscc", "统一社会信用代码", "Credit code", "text"),
        ("name", "名称", "Name", "text"),
        ("amount", "已见供应额(元)", "Supply seen (yuan)", "money"),
    ],
    "logistics": [
        ("id", "编号", "ID", "int"),
        ("grade", "等级", "Grade", "text"),
        ("subject", "风险对象", "Subject", "text"),
        ("uscc", "统一社会信用代码", "Credit code", "text"),
        ("name", "企业名称", "Firm", "text"),
        ("region_code", "所在地区", "Region", "text"),
        ("country", "起运国", "From", "text"),
        ("monthly", "月均进口(元)", "Monthly imports (yuan)", "money"),
        ("months", "窗口内进口月数", "Months with imports", "int"),
    ],
}


def is_overseas_risk(item: dict[str, Any]) -> bool:
    screens = (item.get("evidence") or {}).get("screens", [])
    return any(s["screen"] in FOREIGN_SCREENS and s["points"] > 0 for s in screens)


def _countries(item: dict[str, Any]) -> list[dict[str, Any]]:
    evidence = item.get("evidence") or {}
    if evidence.get("countries"):
        return list(evidence["countries"])
    code = evidence.get("country") or evidence.get("top_country")
    return [{"country": code, "name": country_name(code), "share": None}] if code else []


def _country_text(countries: list[dict[str, Any]], lang: str) -> str:
    parts = []
    for c in countries[:5]:
        name = country_name(c["country"], "en" if lang == "en" else "zh")
        share = c.get("share")
        parts.append(f"{name} {share * 100:.0f}%" if share is not None else name)
    return "、".join(parts) if lang != "en" else ", ".join(parts)


def _dispatch(item: dict[str, Any], importer_countries: list[str], lang: str) -> str:
    """Countries the province already buys the product from, other than the firm's own, the
    lower country risk first."""
    rank = {"低": 0, "中": 1, "高": 2}
    others = [c for c in _countries(item) if c.get("country") not in importer_countries]
    others += [
        {"country": a["country"], "level": a.get("level")}
        for a in item.get("alternatives", [])
        if a.get("scope") == "abroad" and a.get("country") not in importer_countries
    ]
    seen: dict[str, dict[str, Any]] = {}
    for c in others:
        seen.setdefault(c["country"], c)
    ordered = sorted(
        seen.values(), key=lambda c: (rank.get(c.get("level") or "中", 1), c["country"])
    )
    return _country_text([{**c, "share": None} for c in ordered], lang)


def overseas_items(chain: str | None = None) -> list[dict[str, Any]]:
    items = list_items(chain=chain, open_only=True, details=True)["items"]
    return [i for i in items if i["found"] and is_overseas_risk(i)]


def build_views(
    chain: str | None = None,
    lang: str = "zh-CN",
    settings: ScreeningSettings | None = None,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    settings = settings or load_screening_settings()
    chosen = items if items is not None else overseas_items(chain)
    en = lang == "en"
    rows: dict[str, list[dict[str, Any]]] = {v: [] for v in VIEWS}
    for item in chosen:
        evidence = item.get("evidence") or {}
        base = {
            "id": item["id"],
            "grade": item["grade"],
            "chain": item["chain"],
            "subject": item["subject"],
        }
        countries = _countries(item)
        importers = [a for a in item.get("affected", []) if a.get("role") == "importer"]
        rows["overseas"].append(
            {
                **base,
                "countries": _country_text(countries, lang),
                "import_share": evidence.get("import_share"),
                "imports": evidence.get("imports") or evidence.get("amount"),
                "affected": evidence.get("importers") or len(item.get("affected", [])),
                "status": item["status"],
            }
        )
        for firm in importers:
            own = list(firm.get("countries") or [])
            monthly = float(firm.get("monthly") or 0)
            rows["stock"].append(
                {
                    **base,
                    "uscc": firm["uscc"],
                    "name": firm.get("name"),
                    "countries": _country_text([{"country": c, "share": None} for c in own], lang),
                    "monthly": monthly,
                    "stock": monthly * settings.lists.stock_months,
                    "dispatch": _dispatch(item, own, lang),
                }
            )
            for code in own:
                rows["logistics"].append(
                    {
                        **base,
                        "uscc": firm["uscc"],
                        "name": firm.get("name"),
                        "region_code": firm.get("region_code"),
                        "country": country_name(code, "en" if en else "zh"),
                        "monthly": monthly / max(len(own), 1),
                        "months": firm.get("months"),
                    }
                )
        for alt in item.get("alternatives", []):
            scope = SCOPES.get(alt.get("scope", ""), (alt.get("scope"), alt.get("scope")))
            rows["substitutes"].append(
                {
                    **base,
                    "scope": scope[1] if en else scope[0],
                    "uscc": alt.get("uscc") or alt.get("country"),
                    "name": alt.get("name")
                    or country_name(alt.get("country"), "en" if en else "zh"),
                    "amount": float(alt.get("amount") or alt.get("sold") or 0)
                    + float(alt.get("exported") or 0),
                }
            )
        for c in countries:
            if c.get("level") == "低":
                rows["substitutes"].append(
                    {
                        **base,
                        "scope": SCOPES["abroad"][1 if en else 0],
                        "uscc": c["country"],
                        "name": country_name(c["country"], "en" if en else "zh"),
                        "amount": c.get("amount"),
                    }
                )
    return {
        view: {
            "key": view,
            "title": TITLES[view][1 if en else 0],
            "columns": [
                {"key": k, "label": en_label if en else zh, "kind": kind}
                for k, zh, en_label, kind in COLUMNS[view]
            ],
            "rows": rows[view],
        }
        for view in VIEWS
    }
