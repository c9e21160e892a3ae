"""The period the atlas looks at: by default the latest N months that the links cover."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from chainwatch.errors import DataMissingError, ValidationError

_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Window:
    """Months ``start`` to ``end`` inclusive, both written YYYY-MM."""

    start: str
    end: str

    @property
    def months(self) -> int:
        return _index(self.end) - _index(self.start) + 1

    def as_dict(self) -> dict[str, str | int]:
        return {"from": self.start, "to": self.end, "months": self.months}

    def period_condition(self, column: str = "period") -> str:
        """SQL: a 'YYYY-MM' column inside the window."""
        return f"{column} BETWEEN '{self.start}' AND '{self.end}'"

    def date_condition(self, column: str = "date") -> str:
        """SQL: a DATE column inside the window."""
        return f"strftime({column}, '%Y-%m') BETWEEN '{self.start}' AND '{self.end}'"


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str, what: str) -> str:
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValidationError(f"{what} {text!r} is not a month; expected YYYY-MM such as 2021-03.")
    return f"{match[1]}-{match[2]}"


def latest_period(con: duckdb.DuckDBPyConnection, links_sql: str) -> str:
    latest = con.execute(f"SELECT max(period) FROM {links_sql}").fetchall()[0][0]
    if latest is None:
        raise DataMissingError(
            "the links are empty: no invoice between two firms was loaded; load invoices with "
            "`chainwatch ingest invoices FILE` and run `chainwatch run links`."
        )
    return str(latest)


def resolve_window(latest: str, months: int, start: str | None, end: str | None) -> Window:
    """``start``/``end`` as given (YYYY-MM); a missing end is ``latest``, a missing start is
    ``months`` months before the end."""
    last = parse_month(end, "--to") if end else latest
    first = parse_month(start, "--from") if start else _label(_index(last) - months + 1)
    if first > last:
        raise ValidationError(f"--from {first} is after --to {last}; give the earlier month first.")
    return Window(first, last)
