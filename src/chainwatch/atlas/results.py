"""Reading the stored atlas results: small DuckDB queries over lake/results, nothing computed.

Every reader raises DataMissingError when the atlas has not been computed yet.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chainwatch.atlas.chains import Chain
from chainwatch.errors import DataMissingError
from chainwatch.store import datasets, lake
from chainwatch.store.lake import connection as connection  # shared with the other result readers
from chainwatch.store.lake import rows as rows

NOT_COMPUTED = (
    "the chain atlas has not been computed yet; run `chainwatch run atlas` (after "
    "`chainwatch run links`), or `chainwatch demo` for the demo province."
)


def computed() -> bool:
    return lake.has_result("atlas_meta") and lake.has_result("firm_segments")


def require_atlas() -> None:
    if not computed():
        raise DataMissingError(NOT_COMPUTED)


def result(name: str) -> str:
    if not lake.has_result(name):
        raise DataMissingError(NOT_COMPUTED)
    return lake.result_sql(name)


def enterprises() -> str:
    return datasets.enterprises_sql()


def meta() -> dict[str, Any]:
    require_atlas()
    with connection() as con:
        text = con.execute(f"SELECT meta FROM {result('atlas_meta')}").fetchall()[0][0]
    data: dict[str, Any] = json.loads(text)
    return data


def fingerprint(chain: Chain) -> str:
    """A digest of a chain definition, to tell whether the stored atlas still matches it."""
    text = json.dumps(chain.to_dict(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def require_current(chain: Chain, info: dict[str, Any]) -> None:
    """DataMissingError when the chain was added or changed after the atlas was computed."""
    stored = info.get("fingerprints", {}).get(chain.id)
    if stored is None:
        raise DataMissingError(
            f"chain {chain.id} ({chain.name}) was added after the atlas was computed; run "
            "`chainwatch run atlas` again to place firms in it."
        )
    if stored != fingerprint(chain):
        raise DataMissingError(
            f"chain {chain.id} ({chain.name}) has changed since the atlas was computed; run "
            "`chainwatch run atlas` again."
        )
