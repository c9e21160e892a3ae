"""Credit codes: GB 11714 check characters by hand, and generated codes that stdnum accepts."""

from __future__ import annotations

import numpy as np
import pytest
from stdnum.cn import uscc

from chainwatch.synth.codes import build_code, generate_codes, organisation_check


@pytest.mark.parametrize(
    ("body", "check"),
    [
        # 6·3 + 3·5 + 7·8 + 3·4 + 4·2 = 109; 109 mod 11 = 10; 11 − 10 = 1 (real code 600037341)
        ("60003734", "1"),
        # 1·3 + 2·7 + 3·9 + 4·10 + 5·5 + 6·8 + 7·4 + 8·2 = 201; 201 mod 11 = 3 → 8
        ("12345678", "8"),
        # M=22, A=10, H=17, B=11, X=33: 66+70+18+170+10+88+12+66 = 500; mod 11 = 5 → 6
        ("MA2H2B3X", "6"),
        ("00000006", "X"),  # 6·2 = 12 ≡ 1 → 10 is written X
        ("00000000", "0"),  # 0 → 11 is written 0
    ],
)
def test_organisation_check_by_hand(body: str, check: str) -> None:
    assert organisation_check(body) == check


def test_organisation_check_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="8 characters"):
        organisation_check("1234567")


def test_build_code_reproduces_a_real_code() -> None:
    # 91110000600037341L is the example in python-stdnum's documentation.
    assert build_code("110000", "60003734") == "91110000600037341L"


def test_generated_codes_are_valid_unique_and_carry_the_region() -> None:
    rng = np.random.default_rng(3)
    regions = ["330108", "330603", "331082"] * 400
    modern = np.arange(len(regions)) % 2 == 0
    codes = generate_codes(regions, modern, rng)
    assert len(set(codes)) == len(codes)
    for code, region, is_modern in zip(codes, regions, modern, strict=True):
        assert uscc.validate(code) == code
        assert code[:2] == "91"
        assert code[2:8] == region
        assert code[8:10] == "MA" if is_modern else code[8:10].isdigit()
        assert organisation_check(code[8:16]) == code[16]


def test_generated_codes_avoid_codes_already_taken() -> None:
    first = generate_codes(["330102"] * 50, np.zeros(50, dtype=bool), np.random.default_rng(1))
    again = generate_codes(
        ["330102"] * 50, np.zeros(50, dtype=bool), np.random.default_rng(1), taken=set(first)
    )
    assert not set(first) & set(again)
