"""The statistics socklab's results are judged with, in Python: the same distribution-free interval
of the median as socklab-bench's engine (bench/engine/stats.cpp), for what Python measures itself
(the peer tools, interleaved with socklab), and the verdict words for a ratio's interval."""
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
