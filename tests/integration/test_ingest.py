"""Loading files end to end on the embedded default (SQLite + lake)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc

from chainwatch.errors import ValidationError
from chainwatch.ingest import batches
from chainwatch.ingest.load import ingest_file, remove_batch
from chainwatch.store.db import session_scope
from chainwatch.store.models import Enterprise
from tests.conftest import DATA
from tests.data import make_messy

MESSY = DATA / "bad" / "enterprises_messy_gbk.csv"


def code(region: str, org: str) -> str:
    body = "91" + region + org
    return body + uscc.calc_check_digit(body)


def enterprise_count() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(Enterprise)) or 0)


def test_messy_file_loads_good_rows_and_reports_each_bad_one(home: Path, tmp_path: Path) -> None:
    report = tmp_path / "errors.csv"
    result = ingest_file("enterprises", MESSY, errors_out=report)
    assert result.rows == 14
    assert result.loaded == 4  # three good rows and one of the two identical repeats
    assert result.skipped == 1
    assert result.rejected == len(make_messy.EXPECTED)
    with report.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["file", "row", "column", "value", "problem"]
    got = {(int(r["row"]), r["column"]) for r in rows}
    assert got == {(row, column) for row, column, _ in make_messy.EXPECTED}
    for row, column, fragment in make_messy.EXPECTED:
        problem = next(r["problem"] for r in rows if int(r["row"]) == row and r["column"] == column)
        assert fragment in problem, (row, problem)
    wrong = next(r for r in rows if int(r["row"]) == 5)
    assert f"expected '{uscc.calc_check_digit(wrong['value'][:17])}'" in wrong["problem"]
    assert enterprise_count() == 4
    with session_scope() as session:
        firm = session.get(Enterprise, make_messy.GOOD_B)  # was lower case in the file
        assert firm is not None and firm.scale == "规上" and firm.employees == 1250
        assert sorted(firm.tags) == ["上市", "链主"]
        assert firm.founded_on.isoformat() == "2015-03-08"
        assert session.get(Enterprise, make_messy.GOOD_C) is not None  # spaces trimmed
    assert result.quarantine and Path(result.quarantine).exists()


def test_same_file_again_changes_nothing(home: Path) -> None:
    first = ingest_file("enterprises", MESSY)
    again = ingest_file("enterprises", MESSY)
    assert again.already_loaded and again.batch_id == first.batch_id
    assert enterprise_count() == 4
    assert len(batches.list_batches()) == 1


def test_strict_rejects_the_whole_file(home: Path) -> None:
    with pytest.raises(ValidationError, match="--strict"):
        ingest_file("enterprises", MESSY, strict=True)
    assert enterprise_count() == 0
    assert batches.list_batches()[0]["status"] == "rejected"


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


HEADER = ["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"]


def test_conflict_with_loaded_record_is_rejected_unless_update(home: Path, tmp_path: Path) -> None:
    firm = code("330106", "MA2PPPPP1")
    ingest_file(
        "enterprises", _write_csv(tmp_path / "a.csv", HEADER, [[firm, "甲公司", "330106", "3973"]])
    )
    second = _write_csv(tmp_path / "b.csv", HEADER, [[firm, "乙公司", "330106", "3973"]])
    result = ingest_file("enterprises", second)
    assert result.rejected == 1 and result.loaded == 0
    assert "甲公司" in result.problems[0].problem and "--update" in result.problems[0].problem
    updated = ingest_file("enterprises", second, update=True)
    assert updated.loaded == 1
    with session_scope() as session:
        assert session.get(Enterprise, firm).name == "乙公司"  # type: ignore[union-attr]
    same = ingest_file(
        "enterprises", _write_csv(tmp_path / "c.csv", HEADER, [[firm, "乙公司", "330106", "C3973"]])
    )
    assert same.skipped == 1 and same.loaded == 0 and same.rejected == 0


def _invoices(tmp_path: Path) -> Path:
    a, b, c = code("330106", "MA2A00001"), code("330212", "MA2B00002"), code("330602", "MA2C00003")
    rows = [
        [a, b, "2021-01-05", "100.00", "13.00", "*集成电路*芯片"],
        [a, b, "2021-01-20", "50.50", "6.57", "*集成电路*芯片"],
        [a, b, "2021-02-01", "10", "1.3", "*集成电路*芯片"],
        [b, c, "2021/1/9", "1,000", "130", "*电池*电芯"],
        [a, a, "2021-01-09", "-5", "0", "*集成电路*芯片"],
        [a, "BAD", "2021-01-09", "5", "0", "*集成电路*芯片"],
    ]
    header = ["销方税号", "购方税号", "开票日期", "金额", "税额", "商品名称"]
    return _write_csv(tmp_path / "invoices.csv", header, rows)


def test_invoices_load_and_aggregate_into_links(home: Path, tmp_path: Path) -> None:
    from chainwatch.links import build_links
    from chainwatch.store import lake

    result = ingest_file("invoices", _invoices(tmp_path))
    assert (result.rows, result.loaded, result.rejected) == (6, 4, 2)
    summary = build_links()
    assert summary["links"] == 3
    rows = duckdb.sql(
        f"SELECT supplier, customer, period, amount, invoice_count FROM "
        f"{lake.result_sql('links')} ORDER BY period, amount"
    ).fetchall()
    a = code("330106", "MA2A00001")
    assert (a, code("330212", "MA2B00002"), "2021-01", 150.5, 2) in rows
    assert any(r[2] == "2021-02" and r[3] == 10 for r in rows)


def _indicators(
    tmp_path: Path, name: str, rows: list[list[object]], header: list[str] | None = None
) -> Path:
    return _write_csv(tmp_path / name, header or ["税号", "月份", "销售额", "用电量"], rows)


def test_indicator_duplicates_within_and_across_files(home: Path, tmp_path: Path) -> None:
    a, b = code("330106", "MA2Q00001"), code("330106", "MA2Q00002")
    first = ingest_file(
        "indicators",
        _indicators(
            tmp_path,
            "i1.csv",
            [
                [a, "2021-01", 100, 50],
                [a, "2021/1", 100, 50],  # identical repeat → skipped
                [b, "2021-01", 10, 5],
                [b, "202101", 11, 5],  # conflicting → both rejected
                [a, "2021-02", 120, ""],
            ],
        ),
    )
    assert (first.loaded, first.skipped, first.rejected) == (2, 1, 2)
    # Electricity for a month that only had sales adds to it; a different sales figure conflicts.
    second = ingest_file(
        "indicators",
        _indicators(
            tmp_path,
            "i2.csv",
            [
                [a, "2021-02", "", 60],
                [a, "2021-01", 999, ""],
                [a, "2021-01", "", 50],
            ],
            ["税号", "月份", "销售额", "用电量"],
        ),
    )
    assert second.rejected == 2  # 999 conflicts; the repeat of that key conflicts within file
    third = ingest_file(
        "indicators",
        _indicators(tmp_path, "i3.csv", [[a, "2021-02", "", 60], [a, "2021-01", 100, 50]]),
    )
    assert third.skipped == 2 and third.loaded == 0


def test_interrupted_load_leaves_nothing_and_can_be_rerun(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainwatch.ingest import load
    from chainwatch.store import lake

    path = _invoices(tmp_path)
    real = load.validate_chunk

    def dies(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(load, "validate_chunk", dies)
    with pytest.raises(KeyboardInterrupt):
        ingest_file("invoices", path)
    monkeypatch.setattr(load, "validate_chunk", real)
    assert batches.loaded_batch_ids("invoices") == []
    assert not list((lake.lake_path() / "_staging").iterdir())
    # A process killed outright leaves its batch `running`; the next load cleans it up.
    stale = batches.start_batch("invoices", "killed.csv", "0" * 64)
    (lake.staging_path() / f"batch-{stale}").mkdir()
    result = ingest_file("invoices", path)
    assert result.loaded == 4
    statuses = {b["id"]: b["status"] for b in batches.list_batches()}
    assert statuses[stale] == "failed" and statuses[result.batch_id] == "loaded"


def test_remove_batch(home: Path, tmp_path: Path) -> None:
    result = ingest_file("enterprises", MESSY)
    removed = remove_batch(result.batch_id or 0)
    assert removed["removed_rows"] == 4 and enterprise_count() == 0


def test_cli_errors_are_one_line_exit_2(home: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "chainwatch.cli.main",
            "ingest",
            "enterprises",
            str(tmp_path / "missing.csv"),
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "CHAINWATCH_HOME": str(home)},
    )
    assert run.returncode == 2
    assert "no such file" in run.stderr and "Traceback" not in run.stderr


def test_cli_ingest_and_list_json(home: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chainwatch.cli.main import app

    runner = CliRunner()
    out = runner.invoke(
        app, ["ingest", "enterprises", str(MESSY), "--errors", str(tmp_path / "e.xlsx"), "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["loaded"] == 4 and (tmp_path / "e.xlsx").exists()
    listing = runner.invoke(app, ["ingest", "--list", "--json"])
    rows = json.loads(listing.stdout)
    assert {"kind", "file", "rows", "loaded", "rejected"} <= set(rows[0])
    assert rows[0]["kind"] == "enterprises" and rows[0]["rejected"] == len(make_messy.EXPECTED)
    helptext = runner.invoke(app, ["ingest", "enterprises", "--help"])
    assert "统一社会信用代码" in helptext.stdout and "用地面积(亩)" in helptext.stdout
