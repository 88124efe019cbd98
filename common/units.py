"""How a metric's value is written for people, the same in the report and the gate: rates in bit/s
with an SI prefix, latencies in µs, operation rates per second, loss in percent."""
import math

from common.results import METRICS

BIT_PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def format_observed(observed):
    """A behaviour's observed values: key=value, floats to 6 significant digits (0.122078, not the
    0.12207799999999999 a measured duration prints as)."""
    return ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in observed.items())


def format_value(metric, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if metric == "loss_ratio":
        return f"{100 * value:.2f} %"
    _, unit, scale = METRICS.get(metric, (False, "", 1.0))
    if unit == "Gbit/s":
        bits = 8 * value
        factor, prefix = next(((f, p) for f, p in BIT_PREFIXES if abs(bits) >= f), (1.0, ""))
        return f"{bits / factor:.2f} {prefix}bit/s"
    v = value * scale
    if unit == "µs":
        return f"{v:.1f} µs"
    if unit == "/s":
        return f"{v:,.0f} /s"
    return f"{v:,.0f} {unit}".strip()
