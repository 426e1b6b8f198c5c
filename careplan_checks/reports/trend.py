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


def trend_svg(con: duckdb.DuckDBPyConnection, run_id: int) -> str:
    """Small inline-SVG run charts, one per rule with at least two nights of history."""
    data = {k: v for k, v in series(con, run_id).items() if sum(p.rate is not None for p in v) >= 2}
    if not data:
        return ""
    parts = ['<table><caption>Compliance at each run, with its median (dashed) and run-chart signals</caption>'
             '<thead><tr><th scope="col">Rule</th><th scope="col">Run chart</th><th scope="col">Signals</th>'
             '</tr></thead><tbody>']
    w, h = 240, 40
    for rule, points in data.items():
        values = [p.rate for p in points if p.rate is not None]
        m = median(values)
        xs = [round(i * (w - 10) / max(len(points) - 1, 1) + 5, 1) for i in range(len(points))]
        ys = [None if p.rate is None else round(h - 5 - p.rate * (h - 10), 1) for p in points]
        # a night without a rate breaks the line: the gap is shown, not closed up
        segments = [list(g) for k, g in itertools.groupby(zip(xs, ys, strict=True), key=lambda q: q[1] is None)
                    if not k]
        lines = "".join(f'<polyline fill="none" stroke="#1d3557" stroke-width="1.5" '
                        f'points="{" ".join(f"{x},{y}" for x, y in seg)}"/>' for seg in segments)
        my = round(h - 5 - m * (h - 10), 1)
        gaps = sum(p.rate is None for p in points)
        label = (f"{rule}: from {values[0]:.1%} to {values[-1]:.1%} over {len(points)} nights"
                 + (f", {gaps} without a rate" if gaps else ""))
        dots = "".join(f'<circle cx="{x}" cy="{y}" r="2" fill="#1d3557"/>'
                       for x, y in zip(xs, ys, strict=True) if y is not None)
        parts.append(
            f'<tr><td>{escape(rule)}</td><td><svg width="{w}" height="{h}" role="img" aria-label="{escape(label)}">'
            f'<line x1="0" x2="{w}" y1="{my}" y2="{my}" stroke="#505a5f" stroke-dasharray="4 3"/>'
            f'{lines}{dots}</svg></td>'
            f'<td>{escape(", ".join(signals(values)) or "none")}</td></tr>')
    parts.append("</tbody></table>")
    return "".join(parts)
