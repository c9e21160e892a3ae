"""Building blocks with known answers: billing, splitting, balancing, allocation, formatting."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from chainwatch.synth.firms import POWER_KEY, allocate_counts
from chainwatch.synth.invoices import bill, split_amounts
from chainwatch.synth.network import _balance, _inverse_cdf
from chainwatch.synth.templates import all_segments, input_matrix
from chainwatch.synth.writer import fixed, text


def test_bill_accumulates_months_since_the_previous_bill() -> None:
    monthly = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 0.0, 0.0, 1.0]])
    due = np.array([[False, True, False, True], [True, False, False, True]])
    rows, months, amounts = bill(monthly, due)
    assert rows.tolist() == [0, 0, 1, 1]
    assert months.tolist() == [1, 3, 0, 3]
    assert amounts.tolist() == [3.0, 7.0, 5.0, 1.0]


def test_split_amounts_keeps_every_cent() -> None:
    cents = np.array([100, 7, 123_456_789])
    pieces = np.array([3, 1, 10])
    owner, parts = split_amounts(cents, pieces, np.random.default_rng(5))
    assert owner.tolist() == [0] * 3 + [1] + [2] * 10
    assert np.bincount(owner, weights=parts).astype(np.int64).tolist() == cents.tolist()
    assert (parts >= 0).all()


def test_balance_one_round_by_hand() -> None:
    # Firms 0 and 1 are local, seller 2 is outside. Column step: both buyers buy 2 and should
    # buy 8, so every flow ×4 → [4, 4, 4, 4]. Row step: firm 0 sells 8 and should sell 10
    # (×1.25), firm 1 sells 4 as it should, the outside seller keeps its flow.
    seller = np.array([0, 0, 1, 2])
    buyer = np.array([1, 0, 0, 1])
    balanced = _balance(
        np.ones(4), seller, buyer, 2, np.array([10.0, 4.0]), np.array([8.0, 8.0]), rounds=1
    )
    assert balanced.tolist() == [5.0, 5.0, 4.0, 4.0]


def test_balance_ends_with_exact_local_rows() -> None:
    seller = np.array([0, 0, 1, 2, 1])
    buyer = np.array([1, 0, 0, 1, 1])
    balanced = _balance(
        np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        seller,
        buyer,
        2,
        np.array([10.0, 4.0]),
        np.array([3.0, 20.0]),
    )
    assert np.allclose(np.bincount(seller, weights=balanced)[:2], [10.0, 4.0])


def test_inverse_cdf_picks_the_first_column_above_u() -> None:
    cum = np.array([[0.2, 0.2, 1.0], [0.5, 1.0, 1.0]])
    picks = _inverse_cdf(cum[[0, 0, 1, 1]], np.array([0.1, 0.3, 0.5, 0.49]))
    assert picks.tolist() == [0, 2, 1, 0]


def test_allocation_counts_power_and_minimums() -> None:
    segments = all_segments()
    counts = allocate_counts(segments, 60, 11)
    assert counts.sum() == 60
    keys = [s.key for s in segments]
    assert counts[keys.index(POWER_KEY)] == 11
    for segment, count in zip(segments, counts, strict=True):
        assert count >= segment.min_firms


def test_input_matrix_rows_are_distributions() -> None:
    matrix = input_matrix(all_segments())
    sums = matrix.sum(axis=1)
    assert np.allclose(sums[sums > 0], 1.0)
    assert (matrix >= 0).all()


def test_fixed_writes_exact_decimals() -> None:
    values = fixed(np.array([0, 5, 12345, -250, 100]), 2)
    assert values.to_pylist() == ["0.00", "0.05", "123.45", "-2.50", "1.00"]
    nulls = fixed(np.array([1, 2]), 0, null=np.array([False, True]))
    assert nulls.to_pylist() == ["1", None]


def test_text_quotes_only_what_needs_quoting() -> None:
    values = text(pa.array(["杭州某某公司", 'a,"b"', "c"]))
    assert values.to_pylist() == ["杭州某某公司", '"a,""b"""', "c"]
