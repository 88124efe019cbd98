"""The statistics socklab's results are judged with, in Python: the same distribution-free interval
of the median as socklab-bench's engine (bench/engine/stats.cpp), for what Python measures itself
(the peer tools, interleaved with socklab); the interval of the ratio between two runs that the
gate's rank test goes with; and the verdict words for a ratio's interval."""
import math
import statistics


def median(values):
    return statistics.median(values) if values else math.nan


def _half_cdf(n, k):
    """P(Binomial(n, 1/2) <= k), exactly."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n


def median_interval(values, confidence=0.95):
    """(low, high, coverage): order statistics x_(k), x_(n+1-k) with the largest k whose coverage
    1 - 2 P(Binomial(n, 1/2) <= k-1) is at least `confidence`; None when even [min, max] covers too
    little (fewer than 6 values for 95 %)."""
    xs, best = sorted(values), None
    n = len(xs)
    for k in range(1, (n + 1) // 2 + 1):
        coverage = 1 - 2 * _half_cdf(n, k - 1)
        if coverage < confidence:
            break
        best = (xs[k - 1], xs[n - k], coverage)
    return best


def rank_sum_counts(n1, n2):
    """counts[u] = how many of the C(n1+n2, n1) orderings of two samples give the Mann-Whitney
    statistic U = u: the coefficients of the Gaussian binomial [n1+n2 choose n1]_q, built as
    prod_{i=1..n1} (1 - q^(n2+i)) / (1 - q^i), exactly (integers)."""
    counts = [1] + [0] * (n1 * n2)
    for i in range(1, n1 + 1):
        for u in range(len(counts) - 1, n2 + i - 1, -1):  # times (1 - q^(n2+i))
            counts[u] -= counts[u - n2 - i]
        for u in range(i, len(counts)):  # divided by (1 - q^i)
            counts[u] += counts[u - i]
    return counts


def ratio_interval(base, cur, confidence=0.95):
    """(low, high, coverage) for the ratio of `cur` to `base` (positive values): the Moses interval
    of the shift of log values, exp'd — order statistics D_(k), D_(m+1-k) of the m = n1 n2 pairwise
    ratios c/b, with the largest k whose coverage 1 - 2 P(U <= k-1) is at least `confidence`. It
    makes no assumption on the distributions beyond a common shape, as the gate's rank test. None
    when even the full range of ratios covers too little (3 values a side cover 90 %), or when a
    value is not positive."""
    if not base or not cur or min(min(base), min(cur)) <= 0:
        return None
    ratios = sorted(c / b for c in cur for b in base)
    counts = rank_sum_counts(len(base), len(cur))
    total, m, best, below = sum(counts), len(ratios), None, 0
    for k in range(1, (m + 1) // 2 + 1):
        below += counts[k - 1]
        coverage = 1 - 2 * below / total
        if coverage < confidence:
            break
        best = (ratios[k - 1], ratios[m - k], coverage)
    return best


def relative_half_width(interval, mid):
    if interval is None or not mid or not math.isfinite(mid):
        return math.inf
    return (interval[1] - interval[0]) / 2 / abs(mid)


def verdict(interval, threshold, higher_is_better):
    """"slower" or "faster" only when the whole interval of a ratio lies beyond `threshold` in that
    direction; otherwise "no measurable difference" (the words socklab-bench's overhead table uses)."""
    if interval is None:
        return "too few rounds"
    below, above = interval[1] < 1 - threshold, interval[0] > 1 + threshold
    if below or above:
        return "slower" if below == higher_is_better else "faster"
    return "no measurable difference"
