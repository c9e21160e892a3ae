"""Customs declarations (海关进出口): exports to markets abroad, imports of key inputs.

Exporters are drawn per segment (probability ``export_prob`` × 1.6 at or above median size,
× 1.0 below, at most 1) with an export share of output ``export_share`` × U(0.8, 1.8) (≤ 0.85),
spread over 1–3 destination countries from the segment's market profile. Importers (probability
``import_prob``, halved below median size) buy the segment's key inputs
(``imports``) from one or two of the listed countries, for ``import_share`` × lognormal(0, 0.4)
of output. A line's monthly value is share × output × lognormal(0, 0.15) (exports also × the
2020 export shock); small lines ship every 2–3 months and carry what accumulated. Planted lines
(photoresist from JP, the interrupted reducer imports) ship monthly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainwatch.synth.activity import Activity
from chainwatch.synth.firms import Firms
from chainwatch.synth.invoices import bill
from chainwatch.synth.planted import (
    INTERRUPTION_COUNTRY,
    INTERRUPTION_HS,
    PHOTORESIST_COUNTRY,
    PHOTORESIST_HS,
    Planted,
)
from chainwatch.synth.seasons import export_factors
from chainwatch.synth.templates import Segment

MARKETS: dict[str, tuple[tuple[str, float], ...]] = {
    "global": (
        ("US", 22),
        ("DE", 7),
        ("JP", 6),
        ("GB", 5),
        ("NL", 4),
        ("FR", 4),
        ("IT", 3),
        ("KR", 4),
        ("AU", 4),
        ("IN", 5),
        ("VN", 5),
        ("TH", 3),
        ("MY", 3),
        ("SG", 2),
        ("ID", 3),
        ("BR", 4),
        ("MX", 3),
        ("RU", 4),
        ("AE", 4),
        ("SA", 3),
        ("CA", 3),
        ("PL", 2),
        ("ES", 2),
        ("TR", 2),
    ),
    "asia": (
        ("KR", 15),
        ("JP", 12),
        ("TW", 10),
        ("VN", 15),
        ("MY", 8),
        ("SG", 6),
        ("TH", 8),
        ("IN", 10),
        ("US", 10),
        ("DE", 6),
    ),
    "west": (
        ("US", 35),
        ("DE", 12),
        ("GB", 10),
        ("FR", 7),
        ("IT", 6),
        ("NL", 6),
        ("ES", 5),
        ("CA", 6),
        ("AU", 6),
        ("JP", 7),
    ),
    "emerging": (
        ("IN", 12),
        ("VN", 10),
        ("ID", 10),
        ("BR", 10),
        ("MX", 8),
        ("RU", 10),
        ("AE", 8),
        ("SA", 7),
        ("TR", 7),
        ("NG", 5),
        ("EG", 5),
        ("PK", 4),
        ("BD", 4),
    ),
}


@dataclass
class TradeLines:
    """Standing trade relations: firm, HS code, country, share of output, shipping rhythm."""

    firm: np.ndarray
    hs: np.ndarray
    country: np.ndarray
    share: np.ndarray
    period: np.ndarray
    stop: np.ndarray  # first month index with nothing shipped (= months when never)


@dataclass
class TradeProfile:
    export_share: np.ndarray
    exports: TradeLines
    imports: TradeLines


@dataclass
class CustomsRecords:
    firm: np.ndarray
    is_export: np.ndarray
    month: np.ndarray
    day: np.ndarray
    hs: np.ndarray
    country: np.ndarray
    cents: np.ndarray


def _lines(rows: list[tuple[int, str, str, float, int, int]]) -> TradeLines:
    return TradeLines(
        firm=np.array([r[0] for r in rows], dtype=np.int64),
        hs=np.array([r[1] for r in rows], dtype=object),
        country=np.array([r[2] for r in rows], dtype=object),
        share=np.array([r[3] for r in rows], dtype=float),
        period=np.array([r[4] for r in rows], dtype=np.int64),
        stop=np.array([r[5] for r in rows], dtype=np.int64),
    )


def draw_trade(
    segments: tuple[Segment, ...],
    firms: Firms,
    planted: Planted,
    months: int,
    rng: np.random.Generator,
) -> TradeProfile:
    n = len(firms)
    median = np.median(firms.sales)
    size_factor = np.where(firms.sales >= median, 1.0, 0.5)
    export_p = np.minimum(
        1.0,
        np.array([s.export_prob for s in segments])[firms.segment]
        * np.where(firms.sales >= median, 1.6, 1.0),
    )
    exporter = rng.random(n) < export_p
    base_share = np.array([s.export_share for s in segments])[firms.segment]
    export_share = np.where(exporter, np.minimum(0.85, base_share * rng.uniform(0.8, 1.8, n)), 0.0)
    import_p = np.array([s.import_prob for s in segments])[firms.segment] * size_factor
    importer = rng.random(n) < import_p
    import_share = np.array([s.import_share for s in segments])[firms.segment] * rng.lognormal(
        0, 0.4, n
    )

    export_rows: list[tuple[int, str, str, float, int, int]] = []
    for i in np.flatnonzero(exporter):
        segment = segments[firms.segment[i]]
        market = MARKETS[segment.markets]
        names = [c for c, _ in market]
        weights = np.array([w for _, w in market], dtype=float)
        k = int(min(len(names), 1 + rng.integers(0, 2) + (firms.sales[i] >= 5 * median)))
        chosen = rng.choice(len(names), size=k, replace=False, p=weights / weights.sum())
        split = rng.uniform(0.5, 1.5, k)
        split /= split.sum()
        monthly = firms.sales[i] / 12 * export_share[i]
        for c, part in zip(chosen, split, strict=True):
            hs = segment.exports[int(rng.integers(0, len(segment.exports)))]
            period = 1 if monthly * part >= 3e5 else int(rng.integers(2, 4))
            export_rows.append(
                (int(i), hs, names[c], float(export_share[i] * part), period, months)
            )

    import_rows: list[tuple[int, str, str, float, int, int]] = []
    for i in np.flatnonzero(importer):
        segment = segments[firms.segment[i]]
        if i == planted.interruption_firm or not segment.imports:
            continue
        for product in segment.imports:
            if len(segment.imports) > 1 and rng.random() < 0.3:
                continue
            names = [c for c, _ in product.countries]
            weights = np.array([w for _, w in product.countries])
            k = min(len(names), 1 + int(rng.random() < 0.4))
            chosen = rng.choice(len(names), size=k, replace=False, p=weights / weights.sum())
            part = import_share[i] / len(segment.imports) / k
            period = 1 if firms.sales[i] / 12 * part >= 2e5 else 2
            for c in chosen:
                import_rows.append((int(i), product.hs, names[c], float(part), period, months))
    for i, ratio in zip(planted.importers, planted.importer_ratio, strict=True):
        import_rows.append((int(i), PHOTORESIST_HS, PHOTORESIST_COUNTRY, float(ratio), 1, months))
    if planted.interruption_firm is not None and planted.interruption_stop is not None:
        f = planted.interruption_firm
        import_rows.append(
            (f, INTERRUPTION_HS, INTERRUPTION_COUNTRY, 0.08, 1, planted.interruption_stop)
        )
        import_rows.append((f, "850152", "JP", 0.04, 1, months))
    import_rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return TradeProfile(
        export_share=export_share, exports=_lines(export_rows), imports=_lines(import_rows)
    )


def customs_records(
    profile: TradeProfile,
    activity: Activity,
    periods: list[tuple[int, int]],
    days: np.ndarray,
    rng: np.random.Generator,
) -> tuple[CustomsRecords, np.ndarray, np.ndarray]:
    """Declarations, and cents exported and imported per firm and month."""
    n, months = activity.output.shape
    shock = export_factors(periods)
    parts = []
    totals = []
    for is_export, lines in ((False, profile.imports), (True, profile.exports)):
        t = np.arange(months)[None, :]
        value = (
            lines.share[:, None]
            * activity.output[lines.firm]
            * rng.lognormal(0, 0.15, (len(lines.firm), months))
        )
        if is_export:
            value *= shock[None, :]
        value *= t < lines.stop[:, None]
        phase = rng.integers(0, 3, len(lines.firm)) % lines.period
        due = ((t - phase[:, None]) % lines.period[:, None] == 0) | (t == months - 1)
        rows, month, amount = bill(value, due)
        cents = np.rint(amount * 100).astype(np.int64)
        keep = cents > 0
        rows, month, cents = rows[keep], month[keep], cents[keep]
        firm = lines.firm[rows]
        parts.append(
            CustomsRecords(
                firm=firm,
                is_export=np.full(len(rows), is_export),
                month=month,
                day=rng.integers(1, days[month] + 1),
                hs=lines.hs[rows],
                country=lines.country[rows],
                cents=cents,
            )
        )
        totals.append(
            np.bincount(firm * months + month, weights=cents, minlength=n * months)
            .reshape(n, months)
            .round()
            .astype(np.int64)
        )
    joined = CustomsRecords(
        **{
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in CustomsRecords.__dataclass_fields__
        }
    )
    order = np.lexsort((joined.is_export, joined.firm, joined.day, joined.month))
    records = CustomsRecords(
        **{name: getattr(joined, name)[order] for name in CustomsRecords.__dataclass_fields__}
    )
    return records, totals[1], totals[0]
