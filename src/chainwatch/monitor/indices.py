"""Monitoring indices (一图一指数, 税电指数): compute them for every scope, store, and query.

:func:`compute_indices` is the pipeline step: all scopes × all periods into the lake results
``index_cube`` (every firm's monthly figures as dense arrays, :mod:`chainwatch.monitor.cube`;
the firm panel — one row per firm and period: its values now, a year earlier and in the base
year — is built from it on demand by :func:`stored_panel`) and ``indices`` (counties, cities,
provinces and groupings; small, what pages, alerts and rankings read), described in
docs/monitoring.md. The SQL reference engine stores the panel itself as ``index_panel``.
:func:`index_series` answers one scope (and code) over a month range, from the stored results
when they are current, otherwise computed on the fly for just the firms concerned.

The formulas are in :mod:`chainwatch.monitor.index_sql` and docs/monitoring.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb

from chainwatch.errors import DataMissingError, NotFoundError, ValidationError
from chainwatch.ingest import batches
from chainwatch.monitor import dense, periods, scopes
from chainwatch.monitor.cube import (
    build_cube,
    cube_path,
    has_cube,
    load_cube,
    save_cube,
    staging_folder,
)
from chainwatch.monitor.index_sql import (
    aggregate_sql,
    fetch_dicts,
    finish_sql,
    firm_indices_sql,
    panel_sql,
)
from chainwatch.monitor.scopes import FIRM, REGION_SCOPES, SCOPES, Grouping
from chainwatch.monitor.settings import IndexSettings, load_index_settings
from chainwatch.store import datasets, lake

RESULT = "indices"
PANEL = "index_panel"
Source = Literal["auto", "stored", "compute"]
Engine = Literal["dense", "sql"]
ENGINES = ("dense", "sql")


def _meta_path() -> Path:
    return lake.result_path(RESULT).with_suffix(".json")


def _inputs() -> dict[str, Any]:
    """What the stored result was computed from; a change means it is out of date."""
    snapshot = lake.lake_path() / "enterprises.parquet"
    stat = snapshot.stat() if snapshot.exists() else None
    return {
        "indicator_batches": batches.loaded_batch_ids("indicators"),
        "enterprises": [stat.st_mtime_ns, stat.st_size] if stat else None,
    }


def _read_meta() -> dict[str, Any] | None:
    path = _meta_path()
    if not path.exists() or not lake.has_result(RESULT):
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stored_is_current(settings: IndexSettings) -> bool:
    """True when the stored indices match the loaded data and these settings."""
    meta = _read_meta()
    return (
        meta is not None
        and meta.get("inputs") == _inputs()
        and meta.get("settings") == settings.as_dict()
    )


def compute_indices(
    groupings: Sequence[Grouping] = (),
    settings: IndexSettings | None = None,
    *,
    firm_panel: bool = True,
    indicators: str | None = None,
    enterprises: str | None = None,
    periods_from: str | None = None,
    engine: Engine = "dense",
) -> dict[str, Any]:
    """Compute every scope and period and store results ``indices`` and ``index_cube`` (SQL
    engine: ``index_panel`` instead of the cube).

    ``engine`` "dense" (the default) builds the indicator cube, stores it for the alert rules
    and sums every scope from it (:mod:`chainwatch.monitor.dense`); "sql" is the DuckDB
    reference of :mod:`chainwatch.monitor.index_sql` (same results; kept for checking and for
    comparison in benchmarks/monitor.py).

    SQL engine only: with ``firm_panel`` the panel (one row per firm and period) is stored first
    and the region and grouping indices are summed from it, so the firm scope is read from
    storage too; without it the indices are summed straight from the query and firm indices are
    computed on demand. (The dense engine always stores the cube, which serves the firm scope.)
    ``indicators``, ``enterprises`` and ``periods_from`` (see
    :func:`~chainwatch.monitor.index_sql.panel_sql`) replace the loaded datasets with other
    DuckDB relations (benchmarks); a result computed that way is never taken as current.
    """
    settings = (settings or load_index_settings()).checked()
    overridden = indicators is not None or enterprises is not None
    if indicators is None and periods_from is None:
        # The merged indicators are a GROUP BY over every firm and month; batches scan faster.
        periods_from = batches.dataset_sql("indicators")
    indicators = indicators or datasets.indicators_sql()
    enterprises = enterprises or scopes.require_enterprises("region")
    if engine not in ENGINES:
        raise ValidationError(f"index engine {engine!r} is not known; expected dense or sql.")
    meta = _meta_path()
    meta.unlink(missing_ok=True)  # stale until the results and the new meta are in place
    lake.remove(cube_path())
    if engine == "dense" or not firm_panel:
        lake.remove(lake.result_path(PANEL))
    panel_rows = 0
    con = lake.connect()
    try:
        scopes.register_firm_ids(con, enterprises)
        scopes.register_region_map(con, enterprises)
        if engine == "dense":
            # Unmerged rows when there are any (the batches): the cube merges them itself.
            staged = staging_folder()
            try:
                cube = build_cube(con, periods_from or indicators, staged)
                save_cube(cube, staged)
            finally:
                lake.remove(staged)  # left over only when the cube was not published
            sums, panel_rows = dense.sums_table(con, cube, settings.base_year, groupings)
            del cube
            con.register("cw_index_sums", sums)
            regional = finish_sql("SELECT * FROM cw_index_sums", settings)
        else:
            regional = _sql_engine(con, settings, indicators, periods_from, groupings, firm_panel)
        lake.write_result_query(con, RESULT, regional)
        if engine == "sql" and firm_panel:
            row = con.execute(f"SELECT count(*) FROM {lake.result_sql(PANEL)}").fetchall()
            panel_rows = int(row[0][0])
        counts = dict(
            con.execute(
                f"SELECT scope, count(*) FROM {lake.result_sql(RESULT)} GROUP BY scope"
            ).fetchall()
        )
        found = con.execute(f"SELECT count(DISTINCT period) FROM {lake.result_sql(RESULT)}")
        months = (found.fetchone() or (0,))[0]
    finally:
        con.close()
    firm_scope = engine == "dense" or firm_panel
    stored_scopes = [*([FIRM] if firm_scope else []), *REGION_SCOPES]
    stored_scopes += [g.scope for g in groupings]
    if not overridden:
        meta.write_text(
            json.dumps(
                {"inputs": _inputs(), "settings": settings.as_dict(), "scopes": stored_scopes}
            ),
            encoding="utf-8",
        )
    return {
        "rows": sum(counts.values()),
        "firm_rows": panel_rows,
        "periods": int(months),
        **{f"{s}_rows": int(counts.get(s, 0)) for s in stored_scopes if s != FIRM},
        "sales_weight": settings.sales_weight,
        "electricity_weight": settings.electricity_weight,
        "base_year": settings.base_year,
        "path": str(lake.result_path(RESULT)),
    }


def _sql_engine(
    con: duckdb.DuckDBPyConnection,
    settings: IndexSettings,
    indicators: str,
    periods_from: str | None,
    groupings: Sequence[Grouping],
    firm_panel: bool,
) -> str:
    """The reference engine: stores the panel (if asked) and returns the regional query."""
    panel = f"({panel_sql(settings, indicators=indicators, periods_from=periods_from)})"
    if firm_panel:
        lake.write_result_query(con, PANEL, panel)
        panel = lake.result_sql(PANEL)
    return aggregate_sql(panel, REGION_SCOPES, settings, groupings)


# The combined January–February follows February.
ORDER = "ORDER BY code, last_month, first_month DESC"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _where(
    scope: str | None, code: str | None, start: periods.Month | None, end: periods.Month | None
) -> str:
    conditions = ["TRUE"]
    if scope is not None:
        conditions.append(f"scope = {_quote(scope)}")
    if code is not None:
        conditions.append(f"code = {_quote(code)}")
    if start is not None:
        conditions.append(f"first_month >= {_quote(start.label)}")
    if end is not None:
        conditions.append(f"last_month <= {_quote(end.label)}")
    return "WHERE " + " AND ".join(conditions)


def _stored_scopes() -> list[str]:
    meta = _read_meta()
    stored = list(meta.get("scopes", [])) if meta else []
    return [s for s in stored if s != FIRM or has_firm_panel()]


def index_series(
    scope: str,
    code: str | None = None,
    start: str | None = None,
    end: str | None = None,
    *,
    settings: IndexSettings | None = None,
    source: Source = "auto",
) -> list[dict[str, Any]]:
    """Index rows of one scope (one code, or every code of the scope) between two months.

    ``start``/``end`` are YYYY-MM (inclusive; a combined January–February is included when
    both months are). ``source``: "stored" reads the stored result, "compute" computes on the
    fly, "auto" reads the stored result only when it is current for these settings.
    """
    settings = (settings or load_index_settings()).checked()
    first = periods.parse_month(start, "--from") if start else None
    last = periods.parse_month(end, "--to") if end else None
    periods.check_range(first, last)
    stored_scopes = _stored_scopes()
    known = [*SCOPES, *(s for s in stored_scopes if s not in SCOPES)]
    if scope not in known:
        raise ValidationError(f"scope {scope!r} is not known; expected one of {', '.join(known)}.")
    if code is not None:
        code = scopes.check_code(scope, code)
    elif scope == FIRM:
        raise ValidationError("--scope firm needs --code with the firm's 统一社会信用代码.")
    stored = source == "stored" or (source == "auto" and stored_is_current(settings))
    if stored and scope not in stored_scopes:
        if source == "stored":
            raise DataMissingError(
                f"no stored {scope} indices; run `chainwatch monitor compute` (or "
                "`chainwatch run`) first, or use --source compute."
            )
        stored = False
    if scope not in SCOPES and not stored:
        raise DataMissingError(
            f"{scope} indices are computed only by the pipeline; run "
            "`chainwatch monitor compute` (or `chainwatch run`) first."
        )
    rows = (
        _stored(scope, code, first, last)
        if stored
        else _computed(scope, code, first, last, settings)
    )
    if not rows:
        what = f"{scope} {code}" if code else f"any {scope}"
        span = (
            f" from {start or 'the first month'} to {end or 'the last month'}"
            if (start or end)
            else ""
        )
        raise NotFoundError(
            f"no sales or electricity figures for {what}{span}; check the code "
            "and the months (`chainwatch ingest --list --kind indicators` shows "
            "what is loaded)."
        )
    return rows


def _stored(
    scope: str, code: str | None, start: periods.Month | None, end: periods.Month | None
) -> list[dict[str, Any]]:
    con = lake.connect()
    try:
        if scope == FIRM and code is not None:
            settings = _settings_of_stored()
            panel = stored_panel(con, settings.base_year, [code])
            query = firm_indices_sql(panel, settings, scopes.enterprises_or_none(), start, end)
        else:
            query = f"SELECT * FROM {lake.result_sql(RESULT)} {_where(scope, code, start, end)}"
        return fetch_dicts(con, f"SELECT * FROM ({query}) {ORDER}")
    finally:
        con.close()


def stored_panel(
    con: duckdb.DuckDBPyConnection,
    base_year: int,
    codes: Sequence[str],
    period: str | None = None,
    name: str = "cw_firm_panel",
) -> str:
    """The stored firm panel's rows of some firms (one period or all) as a relation on ``con``:
    built from the cube (dense engine; registered as ``name``) or read from the stored panel
    (SQL engine)."""
    if not has_cube():
        where = [f"code IN ({', '.join(_quote(c) for c in codes) or 'NULL'})"]
        where += [f"period = {_quote(period)}"] if period else []
        return f"(SELECT * FROM {lake.result_sql(PANEL)} WHERE {' AND '.join(where)})"
    cube = load_cube()
    con.register(name, dense.panel_table(cube, base_year, dense.firm_rows(cube, codes), period))
    return name


def has_firm_panel() -> bool:
    """Whether firm indices are stored (the cube, or the SQL engine's panel)."""
    return has_cube() or lake.has_result(PANEL)


def _settings_of_stored() -> IndexSettings:
    meta = _read_meta()
    values = meta.get("settings") if meta else None
    return IndexSettings(**values) if isinstance(values, dict) else load_index_settings()


def _computed(
    scope: str,
    code: str | None,
    start: periods.Month | None,
    end: periods.Month | None,
    settings: IndexSettings,
) -> list[dict[str, Any]]:
    indicators = datasets.indicators_sql()
    enterprises = (
        scopes.enterprises_or_none() if scope == FIRM else scopes.require_enterprises(scope)
    )
    con = lake.connect()
    try:
        scopes.register_firm_ids(con, enterprises)
        if scope in REGION_SCOPES and enterprises is not None:
            scopes.register_region_map(con, enterprises)
        firm_filter = scopes.firm_filter_sql(scope, code, enterprises) if code else None
        panel = panel_sql(
            settings,
            indicators=indicators,
            firm_filter=firm_filter,
            start=start,
            end=end,
            periods_from=batches.dataset_sql("indicators"),
        )
        if scope == FIRM:
            query = firm_indices_sql(f"({panel})", settings, enterprises, start, end)
        else:
            query = aggregate_sql(f"({panel})", [scope], settings, start=start, end=end)
        return fetch_dicts(con, f"SELECT * FROM ({query}) {_where(None, code, None, None)} {ORDER}")
    finally:
        con.close()
