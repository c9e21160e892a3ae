from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.errors import InputFileError
from chainwatch.ingest.readers import ROW, detect_encoding, open_source, read_chunks
from chainwatch.ingest.schemas import ENTERPRISES, INDICATORS, header_key

HEADER = "统一社会信用代码,企业名称,行政区划代码,行业代码\n"
ROW_TEXT = "91330106MA2AAAAA1X,杭州海芯微电子有限公司,330106,C3973\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8"),
        ("gbk", b"", "gb18030"),
        ("gb18030", b"", "gb18030"),
    ],
)
def test_detects_encoding(tmp_path: Path, encoding: str, prefix: bytes, expected: str) -> None:
    path = _write(tmp_path, "f.csv", prefix + (HEADER + ROW_TEXT).encode(encoding))
    assert detect_encoding(path) == expected
    source = open_source(path, ENTERPRISES)
    chunk = next(read_chunks(source))
    assert chunk["name"].tolist() == ["杭州海芯微电子有限公司"]
    assert chunk[ROW].tolist() == [2]


def test_headers_match_with_spaces_width_and_english(tmp_path: Path) -> None:
    text = " Credit_Code ,名称,region,industry,用地面积（亩）,备注\nX,Y,330106,3973,1,n\n"
    source = open_source(_write(tmp_path, "f.csv", text.encode()), ENTERPRISES)
    assert set(source.mapping.values()) == {
        "uscc",
        "name",
        "region_code",
        "industry_code",
        "land_area_mu",
    }
    assert source.ignored == ["备注"]
    assert header_key("用地面积（亩）") == header_key("用地面积(亩)")


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "统一社会信用代码,企业名称\nA,B\n".encode())
    with pytest.raises(InputFileError) as info:
        open_source(path, ENTERPRISES)
    assert "行政区划代码" in info.value.message and "行业代码" in info.value.message


def test_two_headers_for_one_column_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", (HEADER.strip() + ",名称\n").encode())
    with pytest.raises(InputFileError, match="both mean"):
        open_source(path, ENTERPRISES)


def test_indicator_file_needs_an_indicator(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "税号,月份\nA,2021-01\n".encode())
    with pytest.raises(InputFileError, match="no indicator column"):
        open_source(path, INDICATORS)


def test_rejects_unknown_formats_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"\.xls"):
        open_source(_write(tmp_path, "f.xls", b"x"), ENTERPRISES)
    with pytest.raises(InputFileError, match="unknown file type"):
        open_source(_write(tmp_path, "f.doc", b"x"), ENTERPRISES)
    with pytest.raises(InputFileError, match="empty"):
        open_source(_write(tmp_path, "f.csv", b""), ENTERPRISES)
    with pytest.raises(InputFileError, match="no such file"):
        open_source(tmp_path / "missing.csv", ENTERPRISES)


def test_xlsx_numbers_and_dates_arrive_as_text(tmp_path: Path) -> None:
    import datetime as dt

    frame = pd.DataFrame(
        {
            "统一社会信用代码": ["X"],
            "企业名称": ["甲"],
            "行政区划代码": [330106],
            "行业代码": ["C3973"],
            "成立日期": [dt.datetime(2015, 3, 8)],
            "用地面积(亩)": [12.5],
        }
    )
    path = tmp_path / "f.xlsx"
    frame.to_excel(path, index=False)
    chunk = next(read_chunks(open_source(path, ENTERPRISES)))
    assert chunk.loc[0, "region_code"] == "330106"
    assert chunk.loc[0, "founded_on"] == "2015-03-08"
    assert chunk.loc[0, "land_area_mu"] == "12.5"
    assert chunk.loc[0, ROW] == 2


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="说明", index=False)
        pd.DataFrame(
            {
                "统一社会信用代码": ["X"],
                "企业名称": ["甲"],
                "行政区划代码": ["330106"],
                "行业代码": ["3973"],
            }
        ).to_excel(writer, sheet_name="名录", index=False)
    with pytest.raises(InputFileError, match="missing required"):
        open_source(path, ENTERPRISES)
    source = open_source(path, ENTERPRISES, sheet="名录")
    assert next(read_chunks(source, sheet="名录"))["name"].tolist() == ["甲"]
    with pytest.raises(InputFileError, match="no sheet"):
        open_source(path, ENTERPRISES, sheet="没有")


def test_parquet_rows(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pd.DataFrame(
        {
            "uscc": ["A", "B"],
            "name": ["甲", "乙"],
            "region_code": [330106, 330108],
            "industry_code": ["3973", "3911"],
        }
    ).to_parquet(path)
    chunk = next(read_chunks(open_source(path, ENTERPRISES)))
    assert chunk["region_code"].tolist() == ["330106", "330108"]
    assert chunk[ROW].tolist() == [2, 3]


def test_row_numbers_across_chunks(tmp_path: Path) -> None:
    body = "".join(f"A{i},n{i},330106,3973\n" for i in range(25))
    path = _write(tmp_path, "f.csv", (HEADER + body).encode())
    chunks = list(read_chunks(open_source(path, ENTERPRISES), chunk_rows=1))
    rows = [r for c in chunks for r in c[ROW].tolist()]
    assert rows == list(range(2, 27))


cells = st.text(
    alphabet=st.characters(codec="gbk", exclude_characters="\r\n\x00"), min_size=0, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(cells, min_size=1, max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
)
def test_any_text_round_trips(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], encoding: str
) -> None:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])
    for name in names:
        writer.writerow(["X", name, "330106", "3973"])
    path = tmp_path_factory.mktemp("rt") / "f.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    got = [r for c in read_chunks(open_source(path, ENTERPRISES)) for r in c["name"].tolist()]
    assert got == names
