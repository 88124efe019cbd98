"""The gate's verdicts and its sign convention: one vocabulary for the gate, which gives them, and the
report, which shows them, so that the two never disagree about a word, an order or a sign."""
import math

REGRESSION = "regression"
ERROR = "error"
MISSING = "missing"
INSUFFICIENT = "insufficient"
NEWLY_SKIPPED = "newly-skipped"
STILL_FAILING = "still-failing"
CHANGED = "changed"
IMPROVEMENT = "improvement"
MACHINE_CHANGED = "machine-changed"
NEW = "new"
SAME = "same"

# Worst first: tables sort by it, and a benchmark gated on two metrics shows the worse of its two.
ORDER = (REGRESSION, ERROR, MISSING, INSUFFICIENT, NEWLY_SKIPPED, STILL_FAILING, CHANGED, IMPROVEMENT,
         MACHINE_CHANGED, NEW, SAME)
FAILING = frozenset({REGRESSION, ERROR, MISSING})
# Neither a pass nor a failure: the data could not decide (JUnit's "skipped").
UNDECIDED = frozenset({INSUFFICIENT, NEWLY_SKIPPED})

CHANGE_MEANING = "+ = the median went up, − = it went down; the verdict says whether that is better"


def rank(verdict):
    return ORDER.index(verdict) if verdict in ORDER else len(ORDER)


def worst(verdicts):
    return min(verdicts, key=rank)


def overall(verdicts):
    """The run's verdict from its rows': fail, insufficient or pass."""
    verdicts = set(verdicts)
    if verdicts & FAILING:
        return "fail"
    return INSUFFICIENT if INSUFFICIENT in verdicts else "pass"


def change(baseline, current):
    """Relative change of a median, in the metric's own direction (CHANGE_MEANING); NaN when undefined."""
    if not baseline or current is None or math.isnan(baseline) or math.isnan(current):
        return math.nan
    return (current - baseline) / baseline
