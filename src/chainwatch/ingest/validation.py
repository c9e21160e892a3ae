"""Vectorised validation of text chunks against a Kind.

Each column type has a checker that maps a Series of raw text to (clean values, problems).
Checkers work on the distinct values of a column where values repeat (credit codes, dates,
region codes), so a 100-million-line invoice file costs one stdnum call per distinct code.
Every problem says what was wrong and how to fix it; all problems of a chunk are collected.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

from chainwatch.ingest import schemas as s
from chainwatch.ingest.readers import ROW

Outcome = tuple[object, str | None]  # (clean value or None, problem or None)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    value: str
    problem: str

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.problem,
        }

    def __str__(self) -> str:
        return f"{self.file} row {self.row}, column {self.column}: {self.value!r} {self.problem}"


@lru_cache(maxsize=1_000_000)
def check_uscc(raw: str) -> Outcome:
    code = stdnum_uscc.compact(raw)
    try:
        return stdnum_uscc.validate(code), None
    except InvalidLength:
        return None, (
            f"has {len(code)} characters; a 统一社会信用代码 has 18 "
            "(check for a missing or extra character)"
        )
    except InvalidFormat:
        return None, (
            "is not a 统一社会信用代码: the first 8 characters must be digits and the "
            "rest digits or capital letters other than I, O, S, V, Z"
        )
    except InvalidChecksum:
        expected = stdnum_uscc.calc_check_digit(code)
        return None, (
            f"has a wrong check character (expected {expected!r}); "
            "check the code against the business licence"
        )


def _region(raw: str) -> Outcome:
    from chainwatch.reference import regions

    code = regions.normalise_region_code(raw)
    if code is None:
        return None, "is not a 6-digit GB/T 2260 administrative division code (e.g. 330106)"
    if not regions.is_known_region(code):
        return None, (
            "is not a known GB/T 2260 division code; check it against the current "
            "code list (codes change when districts are reorganised)"
        )
    return code, None


def _industry(raw: str) -> Outcome:
    from chainwatch.reference import industries

    code = industries.normalise_industry_code(raw)
    if code is None:
        return None, "is not a GB/T 4754-2017 industry code (e.g. C3973 or 3973)"
    if not industries.is_known_industry(code):
        return None, "is not a GB/T 4754-2017 industry code known to chainwatch"
    return code, None


def _country(raw: str) -> Outcome:
    from chainwatch.reference import countries

    code = countries.normalise_country(raw)
    if code is None:
        return None, "is not a known country: use the ISO 3166 alpha-2 code (JP) or its name (日本)"
    return code, None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: .*)?$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-01$"),
)


def _date(raw: str) -> Outcome:
    for pattern in _DATE_PATTERNS:
        m = pattern.match(raw)
        if m:
            try:
                value = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None, "is not a real calendar date"
            if not 1900 <= value.year <= 2100:
                return None, "has a year outside 1900–2100"
            return value, None
    return None, "is not a date; write 2015-03-08, 2015/3/8 or 2015年3月8日"


def _month(raw: str) -> Outcome:
    for pattern in _MONTH_PATTERNS:
        m = pattern.match(raw)
        if m:
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                return None, "has a month outside 1–12"
            if not 1900 <= year <= 2100:
                return None, "has a year outside 1900–2100"
            return f"{year:04d}-{month:02d}", None
    return None, "is not a month; write 2021-03 (YYYY-MM), 2021/3 or 2021年3月"


_SCALES = {
    "规上": "规上",
    "规模以上": "规上",
    "above": "规上",
    "规下": "规下",
    "规模以下": "规下",
    "below": "规下",
}
_DIRECTIONS = {
    "进口": "import",
    "i": "import",
    "import": "import",
    "进": "import",
    "出口": "export",
    "e": "export",
    "export": "export",
    "出": "export",
}


def _scale(raw: str) -> Outcome:
    value = _SCALES.get(raw.lower())
    return (value, None) if value else (None, "must be 规上 or 规下")


def _direction(raw: str) -> Outcome:
    value = _DIRECTIONS.get(raw.lower())
    return (value, None) if value else (None, "must be 进口 or 出口 (import/export)")


def _hs(raw: str) -> Outcome:
    code = raw.replace(".", "").replace(" ", "")
    if not code.isdigit() or not 6 <= len(code) <= 10:
        return None, "is not an HS code: 6 to 10 digits (e.g. 854231 or 8542.31)"
    return code, None


def _digits(raw: str) -> Outcome:
    return (raw, None) if raw.isdigit() else (None, "must contain digits only")


def _tags(raw: str) -> Outcome:
    parts = [p.strip() for p in re.split(r"[;；、,，|]", raw)]
    return sorted({p for p in parts if p}), None


def _text(raw: str) -> Outcome:
    return raw, None


_MAPPED: dict[str, Callable[[str], Outcome]] = {
    s.USCC: check_uscc,
    s.REGION: _region,
    s.INDUSTRY: _industry,
    s.COUNTRY: _country,
    s.DATE: _date,
    s.MONTH: _month,
    s.SCALE: _scale,
    s.DIRECTION: _direction,
    s.HS_CODE: _hs,
    s.DIGITS: _digits,
    s.TAGS: _tags,
    s.TEXT: _text,
}

_NUMBER_JUNK = re.compile(r"[,，\s¥￥元]")
_RANGES = {s.LONGITUDE: (73.0, 136.0), s.LATITUDE: (3.0, 54.0)}


def _parse_numbers(raw: pd.Series) -> pd.Series:
    """Numbers from text, in pyarrow's C++ kernels while the column is clean (the usual case)."""
    array = pa.array(raw.astype("string[pyarrow]"), type=pa.string())
    cleaned = pc.replace_substring_regex(array, pattern=_NUMBER_JUNK.pattern, replacement="")
    try:
        floats = pc.cast(cleaned, pa.float64())
        return pd.Series(floats.to_numpy(zero_copy_only=False), index=raw.index)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(pd.Series(cleaned.to_pylist(), index=raw.index), errors="coerce")


def _numbers(raw: pd.Series, type_: str) -> tuple[pd.Series, pd.Series]:
    values = _parse_numbers(raw)
    problems = pd.Series(None, index=raw.index, dtype=object)
    problems[values.isna()] = "is not a number"
    if type_ in _RANGES:
        low, high = _RANGES[type_]
        problems[(values < low) | (values > high)] = f"is outside {low:g}–{high:g} degrees"
    else:
        problems[values < 0] = "is negative; amounts, areas and counts cannot be below zero"
        if type_ == s.COUNT:
            problems[values.notna() & (values % 1 != 0)] = "must be a whole number"
    problems = problems.astype(object).where(problems.notna(), None)
    return values.astype("float64"), problems


def check_column(raw: pd.Series, type_: str) -> tuple[pd.Series, pd.Series]:
    """Clean values and problems (None where fine) for non-empty, trimmed raw text."""
    if type_ in (s.AMOUNT, s.COUNT, s.LONGITUDE, s.LATITUDE):
        return _numbers(raw, type_)
    checker = _MAPPED[type_]
    codes, uniques = pd.factorize(raw)
    outcomes = [checker(str(u)) for u in uniques]
    problems = np.array([o[1] for o in outcomes] + [None], dtype=object)[codes]
    if type_ == s.DATE:
        values: np.ndarray = np.array(
            [o[0] or "NaT" for o in outcomes] + ["NaT"], dtype="datetime64[D]"
        )[codes]
    else:
        values = np.empty(len(outcomes) + 1, dtype=object)
        values[:-1] = [o[0] for o in outcomes]
        values = values[codes]
    return pd.Series(values, index=raw.index), pd.Series(problems, index=raw.index)


@dataclass
class ChunkResult:
    good: pd.DataFrame  # clean typed values of good rows, plus __row
    bad: pd.DataFrame  # raw text of bad rows, plus __row and __problems
    problems: list[Problem]


def validate_chunk(
    kind: s.Kind, frame: pd.DataFrame, file_name: str, headers: dict[str, str]
) -> ChunkResult:
    """Validate one chunk; ``headers`` maps canonical names back to the file's own headers."""
    problems: list[Problem] = []
    clean = pd.DataFrame(index=frame.index)
    bad_mask = np.zeros(len(frame), dtype=bool)
    rows = frame[ROW].to_numpy()
    for column in kind.columns:
        if column.name not in frame.columns:
            continue
        text = frame[column.name].astype("string[pyarrow]").str.strip()
        empty = (text.isna() | (text == "")).to_numpy(dtype=bool)
        issue = pd.Series(None, index=frame.index, dtype=object)
        if empty.all():
            values = pd.Series(None, index=frame.index, dtype=object)
        else:
            present = ~empty
            v, p = check_column(text[present], column.type)
            if present.all():
                values, issue = v, p
            else:
                values = v.reindex(frame.index)
                issue[present] = p
        if not column.nullable:
            issue[empty] = "is empty; this column is required"
        clean[column.name] = values
        hit = issue.notna().to_numpy()
        if hit.any():
            bad_mask |= hit
            label = headers.get(column.name, column.label)
            shown_values = text.to_numpy(dtype=object, na_value="")
            issues = issue.to_numpy(dtype=object)
            for i in np.flatnonzero(hit):
                problems.append(
                    Problem(file_name, int(rows[i]), label, str(shown_values[i]), str(issues[i]))
                )
    if kind.at_least_one_of:
        present_cols = [c for c in kind.at_least_one_of if c in clean.columns]
        none = (
            clean[present_cols].isna().all(axis=1).to_numpy(dtype=bool)
            if present_cols
            else np.ones(len(frame), dtype=bool)
        ) & ~bad_mask
        for i in np.flatnonzero(none):
            problems.append(
                Problem(
                    file_name,
                    int(rows[i]),
                    "(row)",
                    "",
                    "has no indicator value; fill at least one indicator column",
                )
            )
        bad_mask |= none
    clean[ROW] = rows
    good = clean[~bad_mask].reset_index(drop=True)
    bad = frame[bad_mask].reset_index(drop=True)
    return ChunkResult(good, bad, problems)
