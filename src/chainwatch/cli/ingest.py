"""`chainwatch ingest`: load enterprise, invoice, customs and indicator files."""

from __future__ import annotations

import csv
from pathlib import Path

import typer

from chainwatch.cli.output import console, print_json, print_table, progress_bar
from chainwatch.errors import InputFileError
from chainwatch.ingest import batches
from chainwatch.ingest.load import IngestResult, ingest_file, remove_batch
from chainwatch.ingest.schemas import KINDS, columns_help

app = typer.Typer(
    help="Load files (CSV UTF-8/GBK, XLSX, Parquet) into chainwatch.", invoke_without_command=True
)


@app.callback()
def _ingest(
    ctx: typer.Context,
    list_: bool = typer.Option(False, "--list", help="List loaded batches."),
    kind: str | None = typer.Option(None, "--kind", help="With --list: only this kind."),
    json_: bool = typer.Option(False, "--json", help="With --list: print JSON."),
) -> None:
    """Load files, or list what was loaded (--list)."""
    if ctx.invoked_subcommand is not None:
        return
    if not list_:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    rows = batches.list_batches(kind)
    if json_:
        print_json(rows)
        return
    print_table(
        "数据导入批次 / ingest batches",
        ["id", "kind", "file", "rows", "loaded", "skipped", "rejected", "status", "created"],
        [
            [
                b["id"],
                b["kind"],
                b["file"],
                b["rows"],
                b["loaded"],
                b["skipped"],
                b["rejected"],
                b["status"],
                b["created_at"],
            ]
            for b in rows
        ],
    )


def _summary(results: list[IngestResult]) -> None:
    print_table(
        "导入结果 / load summary",
        ["file", "batch", "status", "rows", "loaded", "skipped", "rejected"],
        [
            [
                r.file,
                r.batch_id,
                "already loaded, nothing changed" if r.already_loaded else r.status,
                r.rows,
                r.loaded,
                r.skipped,
                r.rejected,
            ]
            for r in results
        ],
    )
    for r in results:
        if r.ignored_columns:
            console.print(f"{r.file}: columns not used: {', '.join(r.ignored_columns)}")
        if not r.problems:
            continue
        print_table(
            f"{r.file}: problems by column",
            ["column", "problem", "rows"],
            [[c, p, n] for c, p, n in r.problem_counts[:10]],
        )
        for p in r.problems[:10]:
            console.print(f"  row {p.row}, {p.column}: {p.value!r} {p.problem}", highlight=False)
        if r.rejected > 10:
            console.print(f"  … {r.rejected - 10} more rows rejected")
        console.print(f"  full report: {r.report}")
        if r.quarantine:
            console.print(f"  rejected rows kept in: {r.quarantine}")


def _combine_reports(results: list[IngestResult], target: Path) -> None:
    """With several files, --errors gets one report covering all of them."""
    from chainwatch.ingest.reports import REPORT_COLUMNS, export_report

    reports = [Path(r.report) for r in results if r.report]
    if len(results) == 1:
        return
    combined = target.with_suffix(".combined.csv")
    with combined.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        for report in reports:
            if report.suffix.lower() != ".csv":
                continue
            with report.open(encoding="utf-8-sig", newline="") as fh:
                rows = csv.reader(fh)
                next(rows, None)
                writer.writerows(rows)
    export_report(combined, target)
    combined.unlink()


def _make_command(kind_name: str):  # type: ignore[no-untyped-def]
    kind = KINDS[kind_name]

    def command(
        files: list[Path] = typer.Argument(..., help="Files to load (.csv, .xlsx, .parquet)."),
        sheet: str | None = typer.Option(
            None, "--sheet", help="XLSX: sheet name (default: the first sheet)."
        ),
        strict: bool = typer.Option(
            False, "--strict", help="Reject the whole file if any row has a problem."
        ),
        update: bool = typer.Option(
            False, "--update", help="Enterprises: replace loaded records whose values differ."
        ),
        errors: Path | None = typer.Option(
            None,
            "--errors",
            help="Write the problem report "
            "to this file (.csv or .xlsx): file,row,column,value,"
            "problem.",
        ),
        json_: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        if errors is not None and any(errors.resolve() == f.resolve() for f in files):
            raise InputFileError("--errors must not name one of the input files.")
        results = []
        with progress_bar(f"loading {kind.name}") as advance:
            for path in files:
                advance(0, description=f"loading {path.name}")
                results.append(
                    ingest_file(
                        kind.name,
                        path,
                        sheet=sheet,
                        strict=strict,
                        update=update,
                        errors_out=errors if len(files) == 1 else None,
                        progress=advance,
                    )
                )
        if errors is not None:
            _combine_reports(results, errors)
        if json_:
            print_json([r.as_dict() for r in results] if len(results) > 1 else results[0].as_dict())
        else:
            _summary(results)

    command.__doc__ = (
        f"Load {kind.label} ({kind.name}) files.\n\n"
        "Accepted columns (Chinese or English headers):\n\n"
        + "\n\n".join(columns_help(kind).splitlines())
    )
    return command


for _name in KINDS:
    app.command(name=_name)(_make_command(_name))


@app.command("remove")
def remove(
    batch_id: int = typer.Argument(..., help="Batch id (see `chainwatch ingest --list`)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Take a loaded batch out again (its rows are removed; the batch stays listed)."""
    data = remove_batch(batch_id)
    if json_:
        print_json(data)
    else:
        console.print(
            f"batch {batch_id} ({data['kind']}, {data['file']}) removed: "
            f"{data['removed_rows']} rows"
        )
