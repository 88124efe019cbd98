"""The Python interval of the median is the engine's (bench/engine/stats.cpp, tested on the same
table) and scipy's binomial: the order statistics it picks, its coverage, its verdict words."""
import random

import pytest
from scipy.stats import binom

from common import stats


@pytest.mark.parametrize("n, low, high, coverage", [(6, 1, 6, 0.96875), (10, 2, 9, 0.978515625),
                                                    (15, 4, 12, 0.96484375), (20, 6, 15, 0.9586105346679688),
                                                    (30, 10, 21, 0.9572260547429323)])
def test_the_same_order_statistics_as_the_engine(n, low, high, coverage):
    values = list(range(1, n + 1))
    random.Random(7).shuffle(values)
    assert stats.median_interval(values) == (low, high, pytest.approx(coverage, abs=1e-12))


@pytest.mark.parametrize("n", range(6, 60))
def test_the_coverage_is_scipys_binomial(n):
    low, high, coverage = stats.median_interval(list(range(n)))
    k = low + 1  # values 0..n-1: x_(k) is k - 1
    assert high == n - k
    assert coverage == pytest.approx(1 - 2 * binom.cdf(k - 1, n, 0.5), abs=1e-12) and coverage >= 0.95
    assert 1 - 2 * binom.cdf(k, n, 0.5) < 0.95  # one step narrower would cover too little


def test_too_few_values_have_no_interval():
    assert stats.median_interval([1, 2, 3, 4, 5]) is None
    assert stats.relative_half_width(None, 1.0) == float("inf")
    assert stats.relative_half_width((0.9, 1.1, 0.96), 1.0) == pytest.approx(0.1)
