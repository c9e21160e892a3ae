"""VAT invoice lines (增值税发票明细) from the supply links and from electricity bills.

Each link has a lifetime inside the window (the bigger the link, the likelier it spans all of
it: P = 0.1 + 0.5 · rank; others last 1 to months/3 months) and a billing period by flow rank:
monthly for the top 5 %, every 2–3 months to rank 75 %, 3–6 months to 50 %, 6–12 months to
25 %, yearly below, with a random phase; the last month of a lifetime bills what is left. A bill
covers the flow since the previous bill: flow_ij / 12 · a_i(t) · min(c_i(t), c_j(t)) per month
(a: the seller's activity, c: the collapse factor of either side, so a collapsed county also
buys less). A bill is split into as many lines as the seller's invoice ceiling (最高开票限额)
requires — 10万元 for sellers under 200万元 of annual sales, 100万 under 3000万, 1000万
above — at most 10, and one bill in ten gets one more line. Electricity is billed monthly by
the city's power-supply firm: kWh × tariff (0.62 元/kWh industrial, 0.68 otherwise, ±3 %) to
every firm with its own meter — industrial firms and 规上 firms; small service and trade firms
(规下) pay through their landlord (转供电), so they get no bill of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainwatch.synth.activity import Activity
from chainwatch.synth.network import Links

MAX_LINES = 10


@dataclass
class InvoiceLines:
    seller: np.ndarray  # index into firm codes followed by external codes
    buyer: np.ndarray
    month: np.ndarray
    day: np.ndarray
    cents: np.ndarray
    tax_cents: np.ndarray
    product: np.ndarray  # index into the flat product list
    coded: np.ndarray  # False where the tax classification code is left empty


def bill(monthly: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, months and amounts of bills: each True bills everything since the row's last one."""
    running = np.cumsum(monthly, axis=1)
    rows, cols = np.nonzero(mask)
    values = running[rows, cols]
    previous = np.zeros_like(values)
    previous[1:] = values[:-1]
    previous[np.r_[True, rows[1:] != rows[:-1]]] = 0.0
    return rows, cols, values - previous


def _schedule(
    flow: np.ndarray, months: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Billing mask and activity mask (links × months) from lifetimes and billing periods."""
    count = len(flow)
    rank = np.empty(count)
    rank[np.argsort(flow, kind="stable")] = np.arange(count) / max(count - 1, 1)
    whole = rng.random(count) < 0.1 + 0.5 * rank
    start = np.where(whole, 0, rng.integers(-(months // 4), months, count))
    length = rng.integers(1, max(2, months // 3) + 1, count)
    end = np.where(whole, months - 1, np.minimum(months - 1, start + length - 1))
    start = np.clip(start, 0, months - 1)
    end = np.maximum(end, start)
    choice = rng.random(count) < 0.5
    period = np.select(
        [rank >= 0.95, rank >= 0.75, rank >= 0.5, rank >= 0.25],
        [1, np.where(choice, 2, 3), np.where(choice, 3, 6), np.where(choice, 6, 12)],
        12,
    )
    phase = rng.integers(0, 12, count) % period
    t = np.arange(months)[None, :]
    active = (t >= start[:, None]) & (t <= end[:, None])
    due = ((t - phase[:, None]) % period[:, None] == 0) | (t == end[:, None])
    return active & due, active


def link_lines(
    links: Links,
    activity: Activity,
    seller_sales: np.ndarray,
    seller_vat: np.ndarray,
    link_product: np.ndarray,
    n_firms: int,
    days: np.ndarray,
    rng: np.random.Generator,
) -> InvoiceLines:
    months = activity.output.shape[1]
    mask, active = _schedule(links.flow, months, rng)
    capacity_all = np.vstack(
        [activity.capacity, np.ones((activity.level.shape[0] - n_firms, months))]
    )
    capacity = np.minimum(capacity_all[links.seller], activity.capacity[links.buyer])
    monthly = links.flow[:, None] / 12.0 * activity.level[links.seller] * capacity * active
    rows, month, amount = bill(monthly, mask)
    cents = np.rint(amount * 100).astype(np.int64)
    keep = cents > 0
    rows, month, cents = rows[keep], month[keep], cents[keep]
    seller = links.seller[rows]

    ceiling = np.select([seller_sales < 2e6, seller_sales < 3e7], [1e7, 1e8], 1e9)[seller]
    pieces = np.clip(np.ceil(cents / ceiling), 1, MAX_LINES).astype(np.int64)
    pieces += rng.random(len(cents)) < 0.1
    line_of, line_cents = split_amounts(cents, pieces, rng)
    keep = line_cents > 0
    line_of, line_cents = line_of[keep], line_cents[keep]
    seller_line = seller[line_of]
    month_line = month[line_of]
    return InvoiceLines(
        seller=seller_line,
        buyer=links.buyer[rows][line_of],
        month=month_line,
        day=rng.integers(1, days[month_line] + 1),
        cents=line_cents,
        tax_cents=np.rint(line_cents * seller_vat[seller_line]).astype(np.int64),
        product=link_product[rows][line_of],
        coded=rng.random(len(line_cents)) >= 0.03,
    )


def split_amounts(
    cents: np.ndarray, pieces: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split each amount into ``pieces`` random parts that add up to the cent."""
    owner = np.repeat(np.arange(len(cents)), pieces)
    weight = rng.uniform(0.6, 1.4, len(owner))
    share = weight / np.bincount(owner, weights=weight)[owner]
    parts = np.floor(cents[owner] * share).astype(np.int64)
    first = np.cumsum(pieces) - pieces
    parts[first] += cents - np.bincount(owner, weights=parts).astype(np.int64)
    return owner, parts


def power_lines(
    activity: Activity,
    power_firm_of: np.ndarray,
    industrial: np.ndarray,
    metered: np.ndarray,
    power_product: int,
    days: np.ndarray,
    rng: np.random.Generator,
) -> InvoiceLines:
    """One electricity bill per metered firm and month from its city's power-supply firm."""
    n = activity.electricity.shape[0]
    tariff = np.where(industrial, 0.62, 0.68) * rng.uniform(0.97, 1.03, n)
    amount = activity.electricity * tariff[:, None]
    buyer, month = np.nonzero(amount >= 0.005)
    buyer_keep = (power_firm_of[buyer] >= 0) & metered[buyer]
    buyer, month = buyer[buyer_keep], month[buyer_keep]
    cents = np.rint(amount[buyer, month] * 100).astype(np.int64)
    count = len(cents)
    return InvoiceLines(
        seller=power_firm_of[buyer],
        buyer=buyer,
        month=month,
        day=np.maximum(1, days[month] - rng.integers(0, 4, count)),
        cents=cents,
        tax_cents=np.rint(cents * 0.13).astype(np.int64),
        product=np.full(count, power_product),
        coded=np.ones(count, dtype=bool),
    )


def concatenate(parts: list[InvoiceLines]) -> InvoiceLines:
    """All lines in one set, ordered by date, then seller, then buyer."""
    joined = {
        name: np.concatenate([getattr(p, name) for p in parts])
        for name in InvoiceLines.__dataclass_fields__
    }
    order = np.lexsort((joined["buyer"], joined["seller"], joined["day"], joined["month"]))
    return InvoiceLines(**{name: values[order] for name, values in joined.items()})


def invoiced_sales(lines: InvoiceLines, n_firms: int, months: int) -> np.ndarray:
    """Cents invoiced per in-province seller and month."""
    local = lines.seller < n_firms
    key = lines.seller[local] * months + lines.month[local]
    return (
        np.bincount(key, weights=lines.cents[local], minlength=n_firms * months)
        .reshape(n_firms, months)
        .round()
        .astype(np.int64)
    )
