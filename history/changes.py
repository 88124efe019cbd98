"""Change points in a series of runs: where a benchmark's level stepped, found by a test rather than
a threshold. The test is Pettitt's rank statistic (the standardized Mann-Whitney U of the values
before and after each split), maximized over the splits, with its significance from permutations
of the series: the share of shuffled series whose best split is at least as extreme. Ranks make it
indifferent to the scale of the metric and to this machine's outliers (a stalled repetition moves
one value, not the test). The search runs over intervals of every scale (seeded binary
segmentation), so that two steps close together, or a step soon undone, are each seen alone, as
E-Divisive means' recursion would not; each change found must then hold where it is against the
whole stretch between its neighbours, and is placed by least absolute deviations.

Each change is named by the first run after it, with its size: the ratio of the medians of up to
`window` runs on each side, with the Moses interval of that ratio (common.stats.ratio_interval)."""
from dataclasses import dataclass

import numpy as np

from common import stats

PERMUTATIONS = 999  # p is a multiple of 1/1000; shuffles are shared by segments of one length
ALPHA = 0.01        # measured: 0.03 false changes per 1,000 runs of noise (history.accuracy)
MIN_SEGMENT = 5     # runs on each side of a change: fewer cannot be told from an outlier
WINDOW = 30         # runs on each side that the size of a change is measured over


@dataclass
class Change:
    index: int          # the first run after the change (position in the series)
    ratio: float        # median after / median before
    low: float | None   # the ratio's 95 % interval, None with too few runs to give one
    high: float | None
    p_value: float


def _statistic(ranks):
    """max over splits of |U| standardized (rows: series of ranks 1..n); and where it is, per row."""
    n = ranks.shape[-1]
    tau = np.arange(MIN_SEGMENT, n - MIN_SEGMENT + 1)
    left = np.cumsum(ranks, axis=-1)[..., tau - 1]
    u = 2 * left - tau * (n + 1)                      # Pettitt's U at each split
    z = np.abs(u) / np.sqrt(tau * (n - tau) * (n + 1) / 3.0)
    best = np.argmax(z, axis=-1)
    return np.take_along_axis(z, best[..., None], axis=-1)[..., 0], tau[best]


def _z_at(ranks, split):
    """The standardized statistic of one split (the first `split` runs against the rest)."""
    n = len(ranks)
    u = 2 * ranks[:split].sum() - split * (n + 1)
    return abs(u) / np.sqrt(split * (n - split) * (n + 1) / 3.0)


def _ranks(values):
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    # Ties share their mean rank, so that a flat stretch of equal values carries no signal.
    uniq, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    if len(uniq) < len(values):
        sums = np.zeros(len(uniq))
        np.add.at(sums, inverse, ranks)
        ranks = (sums / counts)[inverse]
    return ranks


class _Nulls:
    """The permutation null of the statistic, per segment length. Without ties, the ranks of any
    segment of length n are a permutation of 1..n, so one set of shuffles serves every segment of
    that length; a segment with ties (equal medians) gets its own."""

    def __init__(self, rng):
        self.rng = rng
        self.by_length = {}

    def p_value(self, ranks, observed):
        n = len(ranks)
        tied = not np.array_equal(np.sort(ranks), np.arange(1, n + 1))
        null = None if tied else self.by_length.get(n)
        if null is None:
            null, _ = _statistic(np.array([self.rng.permutation(ranks) for _ in range(PERMUTATIONS)]))
            if not tied:
                self.by_length[n] = null
        return (1 + int(np.count_nonzero(null >= observed - 1e-12))) / (PERMUTATIONS + 1)


def _split(values, nulls):
    """(split, p, z) of the segment's most significant split, or None when it is too short."""
    if len(values) < 2 * MIN_SEGMENT:
        return None
    ranks = _ranks(np.asarray(values, dtype=float))
    observed, split = _statistic(ranks)
    return int(split), nulls.p_value(ranks, observed), float(observed)


def _seeded_intervals(n):
    """Intervals at every scale, from the whole series down to the shortest that can hold a change,
    each scale's overlapping by half (seeded binary segmentation, Kovacs et al. 2020): two changes
    close together, or a step up soon undone, each get an interval of their own."""
    intervals, length = set(), n
    while length >= 2 * MIN_SEGMENT:
        step = max(1, length // 2)
        intervals.update((start, start + length) for start in range(0, n - length + 1, step))
        intervals.add((n - length, n))
        length //= 2
    return sorted(intervals)


def _segment(values, nulls):
    """{split: p}: each interval's best split where it is significant, taken greedily from the most
    extreme; a split is dropped when an interval holding it held an already-taken one."""
    candidates = []
    for start, end in _seeded_intervals(len(values)):
        best = _split(values[start:end], nulls)
        if best is not None and best[1] <= ALPHA:
            candidates.append((best[2], start + best[0], best[1], start, end))
    found = {}
    for z, at, p, start, end in sorted(candidates, reverse=True):
        # one change per interval, and no two closer than a segment: the nearer one is the same
        # change seen from an interval that began or ended a run or two off it
        if all(not start < taken < end and abs(taken - at) >= MIN_SEGMENT for taken in found):
            found[at] = p
    return found


def _prune(values, found, nulls):
    """Keeps the splits that hold where they are between their neighbours: each is tested at its
    place against the whole stretch between the changes either side (a split a short interval made
    significant must still be so there); one that does not hold goes and the rest are tested again."""
    for _ in range(len(found) + 1):
        at_all = sorted(found)
        bounds = [0] + at_all + [len(values)]
        for i, at in enumerate(at_all):
            start, end = bounds[i], bounds[i + 2]
            ranks = _ranks(np.asarray(values[start:end], dtype=float))
            p = nulls.p_value(ranks, _z_at(ranks, at - start))
            if p > ALPHA:
                del found[at]
                break
            found[at] = p
        else:
            break
    return found


def _locate(values, found, reach=10):
    """Each change moved to the split within `reach` runs that best separates the stretch between
    its neighbours into two levels (least absolute deviations from each side's median): a rank
    statistic is surest *that* a level changed, but near an end of its stretch it leans towards the
    middle; this places it. Outliers weigh as little here as in the test."""
    placed = sorted(found)
    for i, at in enumerate(placed):
        start = placed[i - 1] if i else 0
        end = placed[i + 1] if i + 1 < len(placed) else len(values)
        segment = np.asarray(values[start:end], dtype=float)
        splits = range(max(MIN_SEGMENT, at - start - reach), min(len(segment) - MIN_SEGMENT, at - start + reach) + 1)
        costs = [np.abs(segment[:k] - np.median(segment[:k])).sum() + np.abs(segment[k:] - np.median(segment[k:])).sum()
                 for k in splits]
        if costs:
            placed[i] = start + splits[int(np.argmin(costs))]
    return dict(zip(placed, (found[at] for at in sorted(found))))


def find_changes(values, seed=0):
    """The changes in `values` (in run order), earliest first."""
    nulls = _Nulls(np.random.default_rng(seed))
    found = _locate(values, _prune(values, _segment(values, nulls), nulls))
    changes = []
    bounds = sorted(found)
    for at, p in sorted(found.items()):
        # The size is measured within the neighbouring changes, so that two steps are not mixed.
        before_start = max([b for b in bounds if b < at] + [0], default=0)
        after_end = min([b for b in bounds if b > at] + [len(values)])
        before = values[max(before_start, at - WINDOW):at]
        after = values[at:min(after_end, at + WINDOW)]
        ratio = stats.median(after) / stats.median(before)
        interval = stats.ratio_interval(before, after)
        changes.append(Change(at, ratio, interval[0] if interval else None, interval[1] if interval else None, p))
    return changes


def moved_together(change, others, slack=2):
    """The change in `others` (another series of the same runs, such as the raw POSIX twin) that
    moved the same way within `slack` runs of `change`, or None."""
    for o in others:
        if abs(o.index - change.index) <= slack and (o.ratio > 1) == (change.ratio > 1):
            return o
    return None
