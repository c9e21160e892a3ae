"""Index periods: calendar months ('YYYY-MM') and the combined January–February ('YYYY-01+02').

Inside the SQL a period is a pair (year, slot): slot 1–12 is a calendar month and slot 0 is
January and February together. The same-period-last-year partner of (year, slot) is
(year − 1, slot), so one equality join serves months and the combined period alike.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from chainwatch.errors import ValidationError

JAN_FEB = 0  # slot of the combined January–February period
JAN_FEB_SUFFIX = "01+02"

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_PERIOD = re.compile(r"(\d{4})-(\d{2}|01\+02)")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)


def parse_month(text: str, what: str = "month") -> Month:
    """A calendar month written YYYY-MM; anything else is a ValidationError naming ``what``."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValidationError(f"{what} {text!r} is not a month; expected YYYY-MM such as 2021-03.")
    return Month(int(match[1]), int(match[2]))


def check_range(start: Month | None, end: Month | None) -> None:
    if start is not None and end is not None and start > end:
        raise ValidationError(
            f"--from {start.label} is after --to {end.label}; give the earlier month first."
        )


def period_label(year: int, slot: int) -> str:
    return f"{year:04d}-{JAN_FEB_SUFFIX}" if slot == JAN_FEB else f"{year:04d}-{slot:02d}"


def parse_period(text: str) -> tuple[int, int]:
    """(year, slot) of a period label: 'YYYY-MM' or 'YYYY-01+02'."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None or (match[2] != JAN_FEB_SUFFIX and not 1 <= int(match[2]) <= 12):
        raise ValidationError(
            f"period {text!r} is not a month; expected YYYY-MM or YYYY-{JAN_FEB_SUFFIX}."
        )
    slot = JAN_FEB if match[2] == JAN_FEB_SUFFIX else int(match[2])
    return int(match[1]), slot


def days_in_period(year: int, slot: int) -> int:
    if slot == JAN_FEB:
        return 31 + calendar.monthrange(year, 2)[1]
    return calendar.monthrange(year, slot)[1]


def days_sql(year: str, slot: str) -> str:
    """SQL for the number of days of period (year, slot); pure arithmetic, no date parsing."""
    y = f"({year})"
    leap = f"(CASE WHEN {y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0) THEN 1 ELSE 0 END)"
    return (
        f"(CASE WHEN {slot} = {JAN_FEB} THEN 59 + {leap} WHEN {slot} = 2 THEN 28 + {leap} "
        f"WHEN {slot} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)"
    )


def label_sql(year: str, slot: str) -> str:
    """SQL for the period label of (year, slot)."""
    return (
        f"(CASE WHEN {slot} = {JAN_FEB} THEN printf('%04d-{JAN_FEB_SUFFIX}', {year}) "
        f"ELSE printf('%04d-%02d', {year}, {slot}) END)"
    )
