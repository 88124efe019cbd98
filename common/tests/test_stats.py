"""The Python interval of the median is the engine's (bench/engine/stats.cpp, tested on the same
table) and scipy's binomial: the order statistics it picks, its coverage, its verdict words."""
import itertools
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


@pytest.mark.parametrize("n1, n2", [(1, 1), (2, 3), (3, 3), (4, 2), (5, 4)])
def test_rank_sum_counts_are_the_enumerated_orderings(n1, n2):
    # Every way to place n1 baseline values among n1 + n2: U counts the (current, baseline) pairs
    # in which the current value comes first.
    expected = [0] * (n1 * n2 + 1)
    for places in itertools.combinations(range(n1 + n2), n1):
        expected[sum(p - i for i, p in enumerate(places))] += 1
    assert stats.rank_sum_counts(n1, n2) == expected


def test_the_ratio_interval_is_the_order_statistics_of_pairwise_ratios():
    base, cur = [1.0, 2.0, 4.0, 8.0], [3.0, 5.0, 7.0, 11.0]
    ratios = sorted(c / b for c in cur for b in base)
    # 4 a side: P(U <= 0) = 1/70 gives 97.1 %; P(U <= 1) = 2/70 only 94.3 %, so k = 1.
    assert stats.ratio_interval(base, cur) == (ratios[0], ratios[-1], pytest.approx(1 - 2 / 70))
    low, high, coverage = stats.ratio_interval(list(range(1, 11)), list(range(2, 12)))
    assert coverage >= 0.95 and low < 1.1 < high


def test_the_ratio_interval_covers_a_known_ratio_as_often_as_it_says():
    rng = random.Random(11)
    trials, covered = 400, 0
    for _ in range(trials):
        base = [rng.lognormvariate(0, 0.2) for _ in range(8)]
        cur = [1.3 * rng.lognormvariate(0, 0.2) for _ in range(9)]
        low, high, coverage = stats.ratio_interval(base, cur)
        assert coverage >= 0.95
        covered += low <= 1.3 <= high
    # The interval is exact for a shift of log values: 95 % or more; 400 trials put 93 % at 2 sigma.
    assert covered / trials >= 0.93


def test_too_few_or_non_positive_values_have_no_ratio_interval():
    assert stats.ratio_interval([1, 2, 3], [2, 3, 4]) is None  # the full range covers 90 %
    assert stats.ratio_interval([0, 1, 2, 3], [1, 2, 3, 4]) is None
    assert stats.ratio_interval([], [1.0]) is None
