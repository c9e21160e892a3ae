"""Writes docs/ingest.md from the column table, so docs and validation never disagree.

python -m chainwatch.ingest.docs > docs/ingest.md
"""

from __future__ import annotations

from chainwatch.ingest.schemas import KINDS, TYPE_DESCRIPTIONS

INTRO = """# Loading data (数据导入)

`chainwatch ingest KIND FILE...` loads files a department already has. KIND is one of
{kinds}. This page is generated from the column table in `chainwatch/ingest/schemas.py`
(`python -m chainwatch.ingest.docs`); `chainwatch ingest KIND --help` prints the same columns.

## Files

- CSV in UTF-8, UTF-8 with BOM or GBK/GB18030 (detected from the bytes; Excel's "CSV" is often
  GBK), `.tsv` with tabs; XLSX (the first sheet, or `--sheet NAME`); Parquet.
- Headers in Chinese or English; case, spaces and full-width brackets do not matter
  (`用地面积（亩）` = `用地面积(亩)`). Columns chainwatch does not know are listed and ignored.
- Row numbers in reports count the header as row 1, as Excel shows them.

## What happens to each row

Every value is trimmed; credit codes are upper-cased and their check character verified
(GB 32100-2015, with python-stdnum); region codes are checked against GB/T 2260, industry codes
against GB/T 4754-2017, countries against ISO 3166; dates, months and numbers are parsed in the
forms listed below; amounts, areas and counts must not be negative.

- A row with any problem is rejected and kept, exactly as written, in
  `CHAINWATCH_HOME/quarantine/batch-N-KIND.csv`; every problem is listed in
  `CHAINWATCH_HOME/reports/batch-N-errors.csv` (columns file,row,column,value,problem) and, with
  `--errors FILE` (.csv or .xlsx), in a file of your choice. Good rows load.
- `--strict` rejects the whole file if any row has a problem (nothing is loaded).
- Enterprises: a code that appears twice in a file with identical values loads once; with
  different values every occurrence is rejected (we cannot know which is right). A code already
  loaded with different values is rejected as a conflict unless `--update` is given.
- Indicators: one row per firm and month. Repeats with identical values load once; different
  values are rejected. A later file may add columns for months already loaded (electricity
  after sales); a different value for a value already loaded is a conflict.
- Loading the same file again changes nothing (it is recognised by its SHA-256). A load that is
  killed halfway leaves no partial batch; run the same command again.
- `chainwatch ingest --list [--json]` lists batches (id, kind, file, rows, loaded, skipped,
  rejected, status); `chainwatch ingest remove N` takes batch N out again.

Enterprises are stored in the database; invoices, customs records and indicators in the Parquet
lake (`CHAINWATCH_HOME/lake/KIND/batch=N/`), queried with DuckDB. `chainwatch run links`
aggregates invoices into supplier–customer–month links (amount, tax, invoice count).
"""


def render() -> str:
    parts = [INTRO.format(kinds=", ".join(KINDS))]
    for kind in KINDS.values():
        parts.append(f"## {kind.name} — {kind.label}\n")
        parts.append("| column | required | also accepted | values |")
        parts.append("|---|---|---|---|")
        for c in kind.columns:
            need = "yes" if c.required else "no"
            if c.required and c.nullable:
                need = "column yes, value may be empty"
            aliases = ", ".join(f"`{a}`" for a in c.headers()[1:])
            parts.append(f"| {c.label} | {need} | {aliases} | {TYPE_DESCRIPTIONS[c.type]} |")
        if kind.at_least_one_of:
            parts.append("\nEach row needs at least one indicator value.")
        if kind.key:
            parts.append(f"\nOne row per {' and '.join(kind.key)}.")
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
