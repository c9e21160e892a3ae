"""What a screen finds: one risk item before it is stored, with its points, grade and the plain
explanation (Chinese and English) built from the numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainwatch.errors import ChainwatchError
from chainwatch.reference import countries
from chainwatch.risk.screening_settings import ScreeningSettings

KINDS = ("product", "segment", "concentration", "systemic", "interruption")
KIND_LABELS = {
    "product": ("关键产品", "key product"),
    "segment": ("环节", "segment"),
    "concentration": ("供应集中", "supplier concentration"),
    "systemic": ("系统重要性", "systemic criticality"),
    "interruption": ("进口中断", "import interruption"),
}
GRADE_COLOURS = {"高": "红", "中": "橙", "低": "黄"}
GRADE_EN = {"高": "high", "中": "medium", "低": "low"}
GRADE_RANK = {"高": 3, "中": 2, "低": 1}


@dataclass
class Part:
    """One screen's contribution: its points and what it found, in both languages."""

    screen: str
    points: int
    zh: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        return {"screen": self.screen, "points": self.points, "zh": self.zh, "en": self.en}


@dataclass
class Finding:
    key: str
    kind: str
    chain_id: str
    segment_id: str | None
    product: str | None
    uscc: str | None
    subject_zh: str
    subject_en: str
    position: str
    risk_type: str
    parts: list[Part] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    affected: list[dict[str, Any]] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    grade: str | None = None

    @property
    def points(self) -> int:
        return sum(p.points for p in self.parts)

    def add(self, screen: str, points: int, zh: str, en: str) -> None:
        self.parts.append(Part(screen, points, zh, en))

    def explanation(self, lang: str = "zh-CN") -> str:
        grade = self.grade or "—"
        if lang == "en":
            body = "; ".join(p.en for p in self.parts if p.en)
            return (
                f"{self.subject_en}: {body} → {GRADE_EN.get(grade, grade)} ({self.points} points)"
            )
        body = "，".join(p.zh for p in self.parts if p.zh)
        return f"{self.subject_zh} {body} → {grade}（{self.points} 分）"

    def finish(self, settings: ScreeningSettings) -> Finding | None:
        """Grade the finding; None when its points stay below the lowest grade."""
        self.grade = settings.grades.grade(self.points)
        if self.grade is None:
            return None
        self.evidence["points"] = self.points
        self.evidence["screens"] = [p.as_dict() for p in self.parts]
        self.evidence["explanation_en"] = self.explanation("en")
        return self


def pct(share: float | None) -> str:
    if share is None:
        return "—"
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share * 100:.0f}%"


def money_zh(amount: float) -> str:
    if abs(amount) >= 1e8:
        return f"{amount / 1e8:,.2f} 亿元"
    return f"{amount / 1e4:,.0f} 万元"


def money_en(amount: float) -> str:
    if abs(amount) >= 1e8:
        return f"CNY {amount / 1e8:,.2f} hundred million"
    return f"CNY {amount / 1e4:,.0f} ten thousand"


def country_name(code: str | None, lang: str = "zh") -> str:
    if not code:
        return "—"
    try:
        return countries.country_name(code, "en" if lang == "en" else "zh")
    except ChainwatchError:
        return code


def hhi(shares: list[float]) -> float:
    total = sum(shares)
    if total <= 0:
        return 0.0
    return sum((s / total) ** 2 for s in shares)
