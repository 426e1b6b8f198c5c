"""Run charts of each rule's compliance across runs: measure, change, measure again.

The standard run-chart rules (as used in NHS and SCIE improvement work) mark a
*shift* (6 or more consecutive points on one side of the median, points on the
median neither break nor count) and a *trend* (5 or more consecutive points all
going up or all going down).
"""

from __future__ import annotations

import itertools
from html import escape
from statistics import median
from typing import NamedTuple

import duckdb

SHIFT, TREND = 6, 5


class Point(NamedTuple):
    """A rule on one night: its rate (None without a population or when it did not run)."""

    as_of: str
    rate: float | None
    exceptions: int
    ran: bool


def series(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, list[Point]]:
    """Each rule's compliance on every night up to ``run_id`` (the run that stands for each
    as-of date), oldest first, with a point that did not run on the nights it did not run, so
    that a chart or a table shows the gap instead of closing it up."""
    from .. import compliance

    compliance.install(con)
    rows = con.execute("""
        WITH nights AS (SELECT RUN_ID, AS_OF FROM runs WHERE STATUS = 'succeeded' AND RUN_ID <= ?
                        QUALIFY row_number() OVER (PARTITION BY AS_OF ORDER BY RUN_ID DESC) = 1),
        rules AS (SELECT DISTINCT RULE_ID FROM rule_results WHERE RUN_ID IN (SELECT RUN_ID FROM nights))
        SELECT r.RULE_ID, n.AS_OF,
               CASE WHEN rr.STATUS = 'ran' THEN compliance_rate(rr.POPULATION, rr.EXCEPTIONS) END,
               coalesce(rr.EXCEPTIONS, 0), coalesce(rr.STATUS = 'ran', false)
        FROM rules r CROSS JOIN nights n
        LEFT JOIN rule_results rr ON rr.RUN_ID = n.RUN_ID AND rr.RULE_ID = r.RULE_ID
        ORDER BY r.RULE_ID, n.AS_OF""", [run_id]).fetchall()
    out: dict[str, list[Point]] = {}
    for rule, as_of, rate, exceptions, ran in rows:
        out.setdefault(rule, []).append(Point(as_of.isoformat(), None if rate is None else float(rate),
                                              int(exceptions), bool(ran)))
    return out


def signals(values: list[float]) -> list[str]:
    """Run-chart signals in a series of rates."""
    if len(values) < 2:
        return []
    m = median(values)
    found = []
    side, count = 0, 0
    for v in values:
        s = (v > m) - (v < m)
        if s == 0:
            continue
        count = count + 1 if s == side else 1
        side = s
        if count == SHIFT:
            found.append("shift " + ("above" if s > 0 else "below") + " the median")
    direction, run = 0, 1
    for a, b in itertools.pairwise(values):
        d = (b > a) - (b < a)
        if d == 0:
            continue
        run = run + 1 if d == direction else 2
        direction = d
        if run == TREND:
            found.append("trend " + ("upwards" if d > 0 else "downwards"))
    return found


#: A chart's size in pixels: small multiples, so that thirty rules take a few rows of the page.
WIDTH, HEIGHT = 260, 48
#: Room for the axis labels (left) and the latest value (right).
LEFT, RIGHT, TOP, BOTTOM = 44, 50, 6, 6


#: The narrowest range a chart shows (0.1 of a percentage point): a flatter series is drawn flat,
#: centred, rather than magnifying differences no label could tell apart.
MIN_SPAN = 0.001


def axis(values: list[float]) -> tuple[float, float]:
    """The range a chart shows: its own lowest and highest rate, so that a change from 99.5 % to
    99.2 % fills the chart; a series flatter than ``MIN_SPAN`` gets that span around its middle,
    kept within 0-100 %."""
    lo, hi = min(values), max(values)
    if hi - lo < MIN_SPAN:
        mid = (lo + hi) / 2
        lo, hi = mid - MIN_SPAN / 2, mid + MIN_SPAN / 2
        if hi > 1:
            lo, hi = 1 - MIN_SPAN, 1.0
        elif lo < 0:
            lo, hi = 0.0, MIN_SPAN
    return lo, hi


def percent(value: float, lo: float, hi: float) -> str:
    """``value`` as a percentage with the fewest decimals (1 or 2) that tell ``lo`` and ``hi`` apart."""
    places = 1 if f"{lo:.1%}" != f"{hi:.1%}" or f"{lo:.2%}" == f"{hi:.2%}" else 2
    return f"{value:.{places}%}"


def chart(rule: str, points: list[Point], target: float | None = None) -> str:
    """One rule's run chart as a small inline SVG: scaled to the rule's own rates, its lowest and
    highest rate labelled on the axis, the latest value labelled at the end of the line, the median
    dashed and the target drawn as a line when it lies within the range (said in words otherwise)."""
    values = [p.rate for p in points if p.rate is not None]
    lo, hi = axis(values)
    m = median(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(rate: float) -> float:
        return round(TOP + (hi - rate) / (hi - lo) * plot_h, 1)

    xs = [round(LEFT + i * plot_w / max(len(points) - 1, 1), 1) for i in range(len(points))]
    ys = [None if p.rate is None else y(p.rate) for p in points]
    # a night without a rate breaks the line: the gap is shown, not closed up
    segments = [list(g) for k, g in itertools.groupby(zip(xs, ys, strict=True), key=lambda q: q[1] is None)
                if not k]
    lines = "".join(f'<polyline fill="none" stroke="#1d3557" stroke-width="1.5" '
                    f'points="{" ".join(f"{x},{yy}" for x, yy in seg)}"/>' for seg in segments)
    dots = "".join(f'<circle cx="{x}" cy="{yy}" r="2" fill="#1d3557"/>'
                   for x, yy in zip(xs, ys, strict=True) if yy is not None)
    last_x, last_y = next((x, yy) for x, yy in zip(reversed(xs), reversed(ys), strict=True) if yy is not None)
    # The axis is labelled with the series' own lowest and highest rate (one label when they are equal).
    low, high = min(values), max(values)
    fmt_lo, fmt_hi, fmt_last = percent(low, low, high), percent(high, low, high), percent(values[-1], low, high)
    target_line, target_note = "", ""
    if target is not None:
        if lo <= target <= hi:
            ty = y(target)
            target_line = (f'<line class="target" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{ty}" y2="{ty}" '
                           f'stroke="#d4351c" stroke-width="1"/>')
        target_note = f"target {target:.0%}" + ("" if lo <= target <= hi else
                                                 " (above the range)" if target > hi else " (below the range)")
    gaps = sum(p.rate is None for p in points)
    label = (f"{rule}: from {percent(values[0], low, high)} to {fmt_last} over {len(points)} nights, lowest {fmt_lo}, "
             f"highest {fmt_hi}" + (f", {gaps} without a rate" if gaps else "") +
             (f", {target_note}" if target_note else ""))
    my = y(m)
    found = ", ".join(signals(values)) or "no signal"
    svg = (f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{escape(label)}" data-min="{low!r}" data-max="{high!r}">'
           f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#b1b4b6"/>'
           + (f'<text class="axis-max" x="{LEFT - 3}" y="{min(y(high) + 4, y(low) - 8)}" text-anchor="end" '
              f'font-size="10" fill="#505a5f">{fmt_hi}</text>'
              f'<text class="axis-min" x="{LEFT - 3}" y="{y(low) + 2}" text-anchor="end" font-size="10" '
              f'fill="#505a5f">{fmt_lo}</text>' if fmt_lo != fmt_hi else
              f'<text class="axis-max axis-min" x="{LEFT - 3}" y="{y(high) + 3}" text-anchor="end" font-size="10" '
              f'fill="#505a5f">{fmt_hi}</text>') +
           f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{my}" y2="{my}" stroke="#505a5f" stroke-dasharray="4 3"/>'
           f'{target_line}{lines}{dots}'
           f'<text class="latest" x="{last_x + 4}" y="{min(max(last_y + 4, TOP + 6), HEIGHT - 2)}" font-size="11" '
           f'font-weight="bold" fill="#0b0c0c">{fmt_last}</text></svg>')
    return (f'<figure data-rule="{escape(rule)}">{svg}<figcaption><strong class="rid">{escape(rule)}</strong> '
            f'{escape(found)}{escape("; " + target_note) if target_note else ""}</figcaption></figure>')


def trend_svg(con: duckdb.DuckDBPyConnection, run_id: int, targets: dict[str, float | None] | None = None) -> str:
    """Small multiples: a run chart per rule with at least two nights with a rate, each on its own scale."""
    data = {k: v for k, v in series(con, run_id).items() if sum(p.rate is not None for p in v) >= 2}
    if not data:
        return ""
    targets = targets or {}
    parts = ['<p class="muted">Compliance at each run, each chart on its own scale (its lowest and highest '
             'rate on the left, the latest at the end), with its median dashed, the target in red when it is '
             'within the range, and run-chart signals (a shift: 6 or more nights on one side of the median; a '
             'trend: 5 or more nights rising or falling).</p><div class="charts">']
    parts += [chart(rule, points, targets.get(rule)) for rule, points in data.items()]
    parts.append("</div>")
    return "".join(parts)
