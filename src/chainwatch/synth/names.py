"""Firm names (企业名称) and business scopes (经营范围) in the style of real registrations.

A name is ``place + 字号 + industry word + organisational form``, e.g. 杭州瑞芯微电子有限公司;
the 字号 is two characters drawn from a list of characters common in Chinese trade names. A
scope follows the current registration wording: 一般项目 with the segment's keywords, the
standard closing clause, and 许可项目 for the few activities that need a licence.
"""

from __future__ import annotations

import numpy as np

TRADE_CHARS = (
    "华创达晟瑞鑫恒泰宏德海明新锐芯微嘉诚信安康盛隆凯博远航益通宇天辰星金银源丰和润中正"
    "永兴昌旺佳美卓越立志诺科捷迅汇联合众力强峰岳川江湖东南西北辉耀光宸睿智腾飞扬帆舜禹"
    "启元泓澜沃蓝晨曦骏驰豪杰优品尚致远鸿运富荣茂广聚祥云万千百一方圆宁静致钧铭浩翔宝亿"
)
_FORMS_SMALL = ("有限公司", "有限公司", "有限公司", "科技有限公司")
_FORM_LARGE = "股份有限公司"
_SCOPE_TAIL = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
_SCOPE_COMMON = (
    "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
    "货物进出口",
    "技术进出口",
)


def trade_names(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` two-character 字号 (repeats allowed; names are made unique later)."""
    chars = np.array(list(TRADE_CHARS))
    first = rng.integers(0, len(chars), size=count)
    second = rng.integers(0, len(chars), size=count)
    same = first == second
    second[same] = (second[same] + 1) % len(chars)
    return [chars[a] + chars[b] for a, b in zip(first, second, strict=True)]


def firm_names(
    places: list[str],
    words: list[str],
    large: np.ndarray,
    rng: np.random.Generator,
    tech: np.ndarray | None = None,
) -> list[str]:
    """Unique names from place prefixes and industry words; ``large`` selects 股份有限公司 and
    ``tech`` allows the 科技有限公司 form (technology segments only)."""
    count = len(places)
    trade = trade_names(count, rng)
    form_pick = rng.integers(0, len(_FORMS_SMALL), size=count)
    extra = rng.integers(0, len(TRADE_CHARS), size=(count, 4))
    used: set[str] = set()
    names: list[str] = []
    for i in range(count):
        form = _FORM_LARGE if large[i] else _FORMS_SMALL[form_pick[i]]
        if tech is not None and not tech[i] and not large[i]:
            form = "有限公司"
        word = words[i]
        if form.startswith("科技") and word.endswith("科技"):
            form = "有限公司"
        name = f"{places[i]}{trade[i]}{word}{form}"
        k = 0
        while name in used:
            # Another firm took this name: lengthen the 字号 by one character, as registries do.
            name = f"{places[i]}{trade[i]}{TRADE_CHARS[extra[i, k % 4]]}{word}{form}"
            extra[i, k % 4] = (extra[i, k % 4] + 7) % len(TRADE_CHARS)
            k += 1
        used.add(name)
        names.append(name)
    return names


def business_scope(keywords: tuple[str, ...], trades: bool, licensed: str | None = None) -> str:
    """经营范围 text: the segment's keywords, common items, and an optional 许可项目."""
    items = list(keywords)
    items.append(_SCOPE_COMMON[0])
    if trades:
        items.extend(_SCOPE_COMMON[1:])
    text = "一般项目：" + "；".join(items) + _SCOPE_TAIL + "。"
    if licensed:
        text += f"许可项目：{licensed}（依法须经批准的项目，经相关部门批准后方可开展经营活动）。"
    return text


# Activities that need a licence in the scope of some sectors.
LICENSED = {
    "econ.power": "供电业务",
    "econ.construction": "建设工程施工",
    "econ.logistics": "道路货物运输（不含危险货物）",
    "bio.formulation": "药品生产",
    "bio.biologics": "药品生产",
    "bio.distribution": "药品批发",
    "bio.devices": "第二类医疗器械生产",
    "chem.refining": "危险化学品生产",
    "chem.basic": "危险化学品经营",
    "econ.food": "食品生产",
    "econ.catering": "餐饮服务",
}
