"""Reading the stored risk results (lake/results/risk_*), nothing computed here.

Every reader raises DataMissingError with the command to run when the risk stage has not run.
"""

from __future__ import annotations

import json
from typing import Any

from chainwatch.errors import DataMissingError
from chainwatch.store import lake
from chainwatch.store.lake import connection as connection  # shared with the other result readers
from chainwatch.store.lake import rows as rows

NOT_COMPUTED = (
    "systemic risk has not been computed yet; run `chainwatch run risk` (after "
    "`chainwatch run links atlas`), or `chainwatch demo` for the demo province."
)
RESULTS = ("risk_esri", "risk_hits", "risk_nodes", "risk_edges", "risk_essentiality", "risk_meta")


def computed() -> bool:
    return all(lake.has_result(name) for name in RESULTS)


def require_risk() -> None:
    if not computed():
        raise DataMissingError(NOT_COMPUTED)


def result(name: str) -> str:
    if not lake.has_result(name):
        raise DataMissingError(NOT_COMPUTED)
    return lake.result_sql(name)


def meta() -> dict[str, Any]:
    require_risk()
    with connection() as con:
        text = con.execute(f"SELECT meta FROM {result('risk_meta')}").fetchall()[0][0]
    data: dict[str, Any] = json.loads(text)
    return data
