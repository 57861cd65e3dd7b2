"""puhui.experience.triangles.triangle(origin_span=): origins without claims as zero rows (the
policy years of a book whose first or latest years have no claim reported yet)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from puhui.errors import ParameterError
from puhui.experience.triangles import triangle

CLAIMS = pd.DataFrame({
    "accident_date": pd.to_datetime(["2022-03-01", "2022-05-01", "2023-07-01"]),
    "report_date": pd.to_datetime(["2022-04-01", "2023-01-10", "2023-08-01"]),
    "paid": [100.0, 50.0, 40.0], "case_reserve": [0.0, 10.0, 0.0]})


def test_origin_span_widens_with_zero_rows_and_never_narrows():
    tri = triangle(CLAIMS, value="incurred", as_of="2024-12-31",
                   origin_span=("2021-06-30", "2024-01-01"))
    assert list(tri.origin.year) == [2021, 2022, 2023, 2024]
    assert list(np.asarray(tri.development, dtype=int)) == [12, 24, 36, 48]
    # by hand: 2022 [100, 160, 160], 2023 [40, 40]; 2021 and 2024 hold nothing (NaN = zero in
    # chainladder), the cells after the latest diagonal are NaN
    cells = np.nan_to_num(np.asarray(tri.values, float)[0, 0])
    np.testing.assert_array_equal(cells, [[0, 0, 0, 0], [100, 160, 160, 0], [40, 40, 0, 0],
                                          [0, 0, 0, 0]])
    same = triangle(CLAIMS, value="incurred", as_of="2024-12-31")
    narrow = triangle(CLAIMS, value="incurred", as_of="2024-12-31",
                      origin_span=("2022-01-01", "2022-01-01"))
    assert list(narrow.origin.year) == list(same.origin.year) == [2022, 2023]


@pytest.mark.parametrize("span", [("2024-01-01", "2021-01-01"), ("not a date", "2024-01-01"),
                                  ("2021-01-01",)])
def test_origin_span_bad_input(span):
    with pytest.raises(ParameterError, match="origin_span"):
        triangle(CLAIMS, value="incurred", as_of="2024-12-31", origin_span=span)


def test_origin_span_after_as_of_is_refused():
    with pytest.raises(ParameterError, match="after as_of"):
        triangle(CLAIMS, value="incurred", as_of="2024-12-31",
                 origin_span=("2021-01-01", "2025-01-01"))
