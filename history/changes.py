"""Change points in a series of runs: where a benchmark's level stepped, found by a test rather than
a threshold. The test is Pettitt's rank statistic (the standardized Mann-Whitney U of the values
before and after each split), maximized over the splits, with its significance from permutations
of the series: the share of shuffled series whose best split is at least as extreme. Ranks make it
indifferent to the scale of the metric and to this machine's outliers (a stalled repetition moves
one value, not the test). Significant splits are searched again on each side (binary
segmentation), as E-Divisive means does, until no segment holds another.

Each change is named by the first run after it, with its size: the ratio of the medians of up to
`window` runs on each side, with the Moses interval of that ratio (common.stats.ratio_interval)."""
from dataclasses import dataclass

import numpy as np

from common import stats

PERMUTATIONS = 199  # p is a multiple of 1/200: a change needs p <= ALPHA
ALPHA = 0.005       # noise alone then yields about one change per 200 series searched at the top level
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


def _split(values, rng):
    """(split, p) of the segment's most significant split, or None when it is too short."""
    if len(values) < 2 * MIN_SEGMENT:
        return None
    ranks = _ranks(np.asarray(values, dtype=float))
    observed, split = _statistic(ranks)
    shuffled = np.array([rng.permutation(ranks) for _ in range(PERMUTATIONS)])
    null, _ = _statistic(shuffled)
    p = (1 + int(np.count_nonzero(null >= observed - 1e-12))) / (PERMUTATIONS + 1)
    return int(split), p


def _segment(values, rng):
    """Binary segmentation: {split: p} of every significant split found."""
    found, pending = {}, [(0, len(values))]
    while pending:
        start, end = pending.pop()
        best = _split(values[start:end], rng)
        if best is None or best[1] > ALPHA:
            continue
        at = start + best[0]
        found[at] = best[1]
        pending += [(start, at), (at, end)]
    return found


def _prune(values, found, rng, slack=2):
    """Keeps the splits that hold between their neighbours. A split found in a segment whose edge
    was a run or two off a true change (so that it held a run of the other level) is then tested
    with the true change's whole other side: it goes if it is no longer significant or if its
    segment's best split is another change's; it moves to that best split otherwise (a drift has
    no one place). Bounded: each split is revisited a few times at most."""
    for _ in range(4 * len(found) + 4):
        at_all = sorted(found)
        bounds = [0] + at_all + [len(values)]
        for i, at in enumerate(at_all):
            start, end = bounds[i], bounds[i + 2]
            best = _split(values[start:end], rng)
            if best is None or best[1] > ALPHA:
                del found[at]
                break
            moved = start + best[0]
            if abs(moved - at) > slack:
                del found[at]
                if all(abs(moved - other) > slack for other in found):
                    found[moved] = best[1]
                break
            found[at] = best[1]
        else:
            break
    return found


def find_changes(values, seed=0):
    """The changes in `values` (in run order), earliest first."""
    rng = np.random.default_rng(seed)
    found = _prune(values, _segment(values, rng), rng)
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
