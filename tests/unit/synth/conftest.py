"""One small synthetic province shared by the synth tests (generated once per session)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chainwatch.synth.province import ProvinceOptions, generate_province

OPTIONS = ProvinceOptions(firms=400, months=36, seed=11, start="2019-01")


@dataclass
class Province:
    path: Path
    summary: dict[str, Any]
    enterprises: pd.DataFrame
    invoices: pd.DataFrame
    customs: pd.DataFrame
    indicators: pd.DataFrame
    planted: dict[str, Any]

    def weakness(self, kind: str) -> dict[str, Any]:
        return next(w for w in self.planted["weaknesses"] if w["id"] == kind)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> Province:
    out = tmp_path_factory.mktemp("province")
    summary = generate_province(out, OPTIONS)
    indicators = read(out / "indicators.csv")
    for column in indicators.columns[2:]:
        indicators[column] = pd.to_numeric(indicators[column].replace("", None))
    invoices = read(out / "invoices.csv")
    invoices["金额"] = invoices["金额"].astype(float)
    invoices["税额"] = invoices["税额"].astype(float)
    customs = read(out / "customs.csv")
    customs["金额"] = customs["金额"].astype(float)
    return Province(
        path=out,
        summary=summary,
        enterprises=read(out / "enterprises.csv"),
        invoices=invoices,
        customs=customs,
        indicators=indicators,
        planted=json.loads((out / "planted.json").read_text(encoding="utf-8")),
    )
