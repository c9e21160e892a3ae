"""Running a scenario on the stored province network: shocks → ψ → cascade → losses.

The final production levels come from the exact cascade of :mod:`chainwatch.risk.esri`; the
order in which firms are hit comes from following the same iteration round by round (the
reference step), recording the round in which each firm first lost at least
``scenario_hit_loss`` of its production (round 0: hit by the shock itself).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chainwatch.atlas.chains import get_chain
from chainwatch.errors import ChainwatchError, ValidationError
from chainwatch.reference import regions
from chainwatch.reference.countries import normalise_country
from chainwatch.risk.esri import ReferenceModel, cascade
from chainwatch.risk.losses import Group, Groups, build_groups, firm_losses, memberships
from chainwatch.risk.network import FloatArray
from chainwatch.risk.pipeline_settings import RiskSettings, load_risk_settings
from chainwatch.risk.province import ProvinceNetwork, load_network
from chainwatch.risk.scenario_spec import ScenarioSpec
from chainwatch.store import datasets, lake

FIRST_HITS = 30  # firms listed as hit first
MAX_ROUNDS = 10_000


@dataclass
class Applied:
    """One shock as resolved: what it names, at what capacity, how many nodes it reached."""

    kind: str
    target: str
    capacity: float
    nodes: list[int]
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "capacity": self.capacity,
            "nodes": len(self.nodes),
            "detail": self.detail,
        }


def _exporters(prefix: str) -> set[str]:
    """Firms with customs exports of an HS code starting with ``prefix`` (they make it)."""
    from chainwatch.ingest import batches

    if not batches.loaded_batch_ids("customs"):
        return set()
    con = lake.connect()
    try:
        found = con.execute(
            f"SELECT DISTINCT uscc FROM {datasets.customs_sql()} "
            "WHERE direction = 'export' AND starts_with(hs_code, ?)",
            [prefix],
        ).fetchall()
    finally:
        con.close()
    return {str(r[0]) for r in found}


def resolve(
    spec: ScenarioSpec, province: ProvinceNetwork, placed: pd.DataFrame
) -> tuple[FloatArray, list[Applied]]:
    """ψ per node (remaining capacity, 1 untouched) and the shocks as applied. Every shock
    naming something that does not exist is reported (all at once)."""
    nodes = province.nodes
    index = province.index()
    problems: list[str] = []
    applied: list[Applied] = []
    kind = nodes["kind"].to_numpy()
    home = nodes["home"].to_numpy(bool)
    shocks = spec.shocks

    for n, firm in enumerate(shocks.firms):
        code = firm.uscc.strip().upper()
        if code not in index or kind[index[code]] == "foreign":
            problems.append(
                f"shocks.firms[{n}].uscc: {code!r} is not a firm of the network (no link in "
                f"{province.window.start}..{province.window.end})"
            )
            continue
        applied.append(Applied("firm", code, firm.capacity, [index[code]]))

    for n, region in enumerate(shocks.regions):
        try:
            place = regions.get_region(region.code)
        except ChainwatchError as exc:
            problems.append(f"shocks.regions[{n}].code: {exc.message.rstrip('.')}")
            continue
        if place.province_code != province.province:
            problems.append(
                f"shocks.regions[{n}].code: {place.code} ({place.name}) is not in the province "
                f"{province.province}"
            )
            continue
        column = {"province": "province_code", "city": "city_code"}.get(place.level, "region_code")
        hit = np.flatnonzero(home & (nodes[column].to_numpy() == place.code))
        applied.append(Applied("region", place.code, region.capacity, hit.tolist(), place.name))

    countries = nodes["country"].to_numpy()
    for n, country in enumerate(shocks.countries):
        iso = normalise_country(country.code)
        if iso is None:
            problems.append(
                f"shocks.countries[{n}].code: {country.code!r} is not a country; expected an "
                "ISO 3166 code or name such as JP, JPN or 日本"
            )
            continue
        hit = np.flatnonzero((kind == "foreign") & (countries == iso))
        applied.append(Applied("country", iso, country.capacity, hit.tolist()))

    for n, segment in enumerate(shocks.segments):
        try:
            chain = get_chain(segment.chain)
            if segment.segment is not None:
                chain.segment(segment.segment)
        except ChainwatchError as exc:
            problems.append(f"shocks.segments[{n}]: {exc.message.rstrip('.')}")
            continue
        chosen = placed["chain_id"] == chain.id
        if segment.segment is not None:
            chosen &= placed["segment_id"] == segment.segment
        hit = np.unique(placed.loc[chosen, "node"].to_numpy(np.int64))
        target = chain.id + (f"/{segment.segment}" if segment.segment else "")
        applied.append(Applied("segment", target, segment.capacity, hit.tolist(), chain.name))

    hs_codes = nodes["hs_code"].fillna("").astype(str).to_numpy()
    for n, product in enumerate(shocks.products):
        prefix = product.hs[:6]
        chosen = (kind == "foreign") & np.char.startswith(hs_codes.astype(str), prefix)
        wanted: list[str] = []
        for c, name in enumerate(product.countries):
            found = normalise_country(name)
            if found is None:
                problems.append(f"shocks.products[{n}].countries[{c}]: {name!r} is not a country")
            else:
                wanted.append(found)
        if product.countries:
            chosen &= np.isin(countries, wanted)
        reached = set(np.flatnonzero(chosen).tolist())
        if product.makers:
            reached |= {index[u] for u in _exporters(product.hs) if u in index}
        applied.append(Applied("product", product.hs, product.capacity, sorted(reached)))

    if problems:
        if len(problems) == 1:
            raise ValidationError(f"scenario: {problems[0]}.")
        raise ValidationError(
            f"scenario: {len(problems)} problems: {'; '.join(problems)}.", errors=problems
        )
    psi = np.ones(province.size)
    for shock in applied:
        if shock.nodes:
            picked = np.asarray(shock.nodes, dtype=np.int64)
            psi[picked] = np.minimum(psi[picked], shock.capacity / 100.0)
    if not (psi < 1.0).any():
        raise ValidationError(
            "scenario: the shocks reach no firm or foreign supplier of the network (or leave "
            "everything at 100 %); check the codes and capacities."
        )
    return psi, applied


def first_hit_rounds(
    province: ProvinceNetwork, psi: FloatArray, tol: float, hit_loss: float
) -> tuple[np.ndarray, int]:
    """Round in which each node first lost ≥ ``hit_loss`` (-1: never), and the rounds run."""
    model = ReferenceModel(province.network)
    h_down = psi.copy()
    h_up = psi.copy()
    first = np.where(1.0 - psi >= hit_loss, 0, -1)
    rounds = 0
    while rounds < MAX_ROUNDS:
        new_down, new_up = model.step(psi, h_down, h_up)
        rounds += 1
        change = max(
            float(np.max(h_down - new_down, initial=0.0)),
            float(np.max(h_up - new_up, initial=0.0)),
        )
        h_down, h_up = new_down, new_up
        hit = (first < 0) & (1.0 - np.minimum(h_down, h_up) >= hit_loss)
        first[hit] = rounds
        if change <= tol:
            break
    return first, rounds


def _group_rows(
    group: Group, loss: FloatArray, hit: np.ndarray, names: list[str]
) -> list[dict[str, Any]]:
    lost = group.totals(loss)
    hits = group.counts(hit)
    out = []
    for g, key in enumerate(group.keys):
        row: dict[str, Any] = dict(zip(names, key, strict=True))
        output = float(group.output[g])
        row.update(
            loss=float(lost[g]),
            output=output,
            share=float(lost[g] / output) if output > 0 else 0.0,
            firms=int(group.firms[g]),
            firms_hit=int(hits[g]),
        )
        out.append(row)
    return sorted(out, key=lambda r: (-r["loss"], -r["output"]))


def _firm_names(uscc: list[str]) -> dict[str, str]:
    if not uscc:
        return {}
    con = lake.connect()
    try:
        con.register("wanted", pd.DataFrame({"uscc": uscc}))
        found = con.execute(
            f"SELECT e.uscc, e.name FROM {datasets.enterprises_sql()} e JOIN wanted USING (uscc)"
        ).fetchall()
    finally:
        con.close()
    return {str(u): str(n) for u, n in found}


def _firm_rows(
    province: ProvinceNetwork,
    picked: np.ndarray,
    psi: FloatArray,
    h_down: FloatArray,
    h_up: FloatArray,
    loss: FloatArray,
    first: np.ndarray,
    placed: pd.DataFrame,
) -> list[dict[str, Any]]:
    nodes = province.nodes
    main = placed.drop_duplicates("node").set_index("node")
    names = _firm_names([str(u) for u in nodes.loc[picked, "uscc"].dropna()])
    out = []
    for i in picked:
        node = nodes.iloc[int(i)]
        own = float(province.weights[i])
        uscc = node["uscc"] if isinstance(node["uscc"], str) else None
        out.append(
            {
                "node": str(node["node"]),
                "kind": str(node["kind"]),
                "uscc": uscc,
                "name": names.get(uscc or ""),
                "country": node["country"] if isinstance(node["country"], str) else None,
                "hs_code": node["hs_code"] if isinstance(node["hs_code"], str) else None,
                "region_code": node["region_code"]
                if isinstance(node["region_code"], str)
                else None,
                "chain_id": str(main.at[i, "chain_id"]) if i in main.index else None,
                "segment_id": str(main.at[i, "segment_id"]) if i in main.index else None,
                "capacity": float(psi[i]),
                "h_down": float(h_down[i]),
                "h_up": float(h_up[i]),
                "loss_share": float(1.0 - min(h_down[i], h_up[i])),
                "loss": float(loss[i]),
                "output": own,
                "round": int(first[i]),
            }
        )
    return out


def run_spec(
    spec: ScenarioSpec,
    settings: RiskSettings | None = None,
    province: ProvinceNetwork | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run a scenario; returns its summary (JSON-ready) and the per-node table of every node
    that lost anything or was shocked."""
    settings = settings or load_risk_settings()
    province = province or load_network()
    placed = memberships(province)
    groups: Groups = build_groups(province, placed)
    psi, applied = resolve(spec, province, placed)
    result = cascade(province.network, psi, tol=settings.tol, weights=province.weights)
    first, rounds = first_hit_rounds(province, psi, settings.tol, settings.scenario_hit_loss)
    loss = firm_losses(province, result.h_down, result.h_up)
    loss_share = 1.0 - np.minimum(result.h_down, result.h_up)
    hit = loss_share >= settings.scenario_hit_loss
    home = province.nodes["home"].to_numpy(bool)
    touched = np.flatnonzero((loss_share > 0) | (psi < 1.0))
    by_loss = touched[np.argsort(-loss[touched], kind="stable")][: settings.scenario_firms]
    spread = np.flatnonzero(first >= 1)
    earliest = spread[np.lexsort((-loss[spread], first[spread]))][:FIRST_HITS]
    summary: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "spec": spec.model_dump(mode="json"),
        "applied": [a.as_dict() for a in applied],
        "window": province.window.as_dict(),
        "province": province.province,
        "settings": {"tol": settings.tol, "hit_loss": settings.scenario_hit_loss},
        "totals": {
            "esri": result.esri,
            "esri_downstream": result.esri_down,
            "esri_upstream": result.esri_up,
            "loss": float(loss.sum()),
            "output": float(province.weights.sum()),
            "firms": int(home.sum()),
            "firms_shocked": int((home & (psi < 1.0)).sum()),
            "foreign_shocked": int(
                ((province.nodes["kind"] == "foreign").to_numpy() & (psi < 1.0)).sum()
            ),
            "firms_hit": int((home & hit).sum()),
            "rounds": int(rounds),
        },
        "chains": _group_rows(groups.chains, loss, hit, ["chain_id"]),
        "segments": _group_rows(groups.segments, loss, hit, ["chain_id", "segment_id"]),
        "counties": _group_rows(groups.counties, loss, hit, ["code"]),
        "cities": _group_rows(groups.cities, loss, hit, ["code"]),
        "firms": _firm_rows(
            province, by_loss, psi, result.h_down, result.h_up, loss, first, placed
        ),
        "first_hits": _firm_rows(
            province, earliest, psi, result.h_down, result.h_up, loss, first, placed
        ),
    }
    table = pd.DataFrame(
        {
            "node": province.nodes["node"].to_numpy()[touched],
            "capacity": psi[touched],
            "h_down": result.h_down[touched],
            "h_up": result.h_up[touched],
            "loss": loss[touched],
            "round": first[touched].astype(np.int32),
        }
    )
    return summary, table
