"""Unified social credit codes (统一社会信用代码, GB 32100-2015) for synthetic firms.

Layout: registration authority (9 = market regulation), entity type (1 = enterprise), the
6-digit GB/T 2260 region code, a 9-character organisation code (GB 11714: 8 body characters and
a check character) and the final GB 32100 check character. Firms registered before the
three-in-one licence reform (October 2015) keep an all-digit organisation code; later firms get
the ``MA…`` codes the registration system assigns.
"""

from __future__ import annotations

import numpy as np
from stdnum.cn import uscc

# GB 32100 alphabet: digits and capital letters without I, O, Z, S, V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Leading digits common among pre-2015 organisation codes.
_LEGACY_PREFIXES = (
    "14",
    "25",
    "66",
    "67",
    "68",
    "69",
    "70",
    "71",
    "72",
    "73",
    "74",
    "75",
    "76",
    "77",
    "78",
    "79",
)


def organisation_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body.

    Characters count as 0–9 for digits and 10–35 for A–Z; C9 = 11 − (Σ value·weight mod 11),
    written 'X' for 10 and '0' for 11.
    """
    if len(body) != 8:
        raise ValueError(f"organisation code body must have 8 characters, got {body!r}")
    total = 0
    for char, weight in zip(body, _ORG_WEIGHTS, strict=True):
        value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        total += value * weight
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def build_code(region_code: str, body: str) -> str:
    """The full 18-character code for a region and an organisation code body."""
    first17 = "91" + region_code + body + organisation_check(body)
    return first17 + uscc.calc_check_digit(first17)


def generate_codes(
    region_codes: list[str],
    modern: np.ndarray,
    rng: np.random.Generator,
    taken: set[str] | None = None,
) -> list[str]:
    """One unique code per firm; ``modern[i]`` selects the post-2015 ``MA`` organisation code."""
    used = set() if taken is None else taken
    count = len(region_codes)
    legacy_prefix = rng.integers(0, len(_LEGACY_PREFIXES), size=count)
    digits = rng.integers(0, 10, size=(count, 6))
    letters = rng.integers(0, len(USCC_ALPHABET), size=(count, 6))
    codes: list[str] = []
    for i, region in enumerate(region_codes):
        attempt = 0
        while True:
            if modern[i]:
                tail = "".join(USCC_ALPHABET[v] for v in letters[i])
                body = "MA" + tail
            else:
                body = _LEGACY_PREFIXES[legacy_prefix[i]] + "".join(str(v) for v in digits[i])
            code = build_code(region, body)
            if code not in used:
                break
            attempt += 1
            # A collision is rare; redraw this firm's characters until the code is new.
            digits[i] = rng.integers(0, 10, size=6)
            letters[i] = rng.integers(0, len(USCC_ALPHABET), size=6)
            if attempt > 100:
                raise RuntimeError("could not draw a unique credit code")
        used.add(code)
        codes.append(code)
    return codes
