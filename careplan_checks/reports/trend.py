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

import duckdb

SHIFT, TREND = 6, 5


def series(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, list[tuple[str, float]]]:
    """Compliance rate per rule for every succeeded run up to ``run_id``, oldest first."""
    rows = con.execute("""
        SELECT rr.RULE_ID, r.AS_OF, greatest(0, 1 - rr.EXCEPTIONS / rr.POPULATION)
        FROM rule_results rr JOIN runs r USING (RUN_ID)
        WHERE r.STATUS = 'succeeded' AND r.RUN_ID <= ? AND rr.STATUS = 'ran' AND rr.POPULATION > 0
        QUALIFY row_number() OVER (PARTITION BY rr.RULE_ID, r.AS_OF ORDER BY r.RUN_ID DESC) = 1
        ORDER BY rr.RULE_ID, r.AS_OF""", [run_id]).fetchall()
    out: dict[str, list[tuple[str, float]]] = {}
    for rule, as_of, rate in rows:
        out.setdefault(rule, []).append((as_of.isoformat(), float(rate)))
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
    data = {k: v for k, v in series(con, run_id).items() if len(v) >= 2}
    if not data:
        return ""
    parts = ['<table><caption>Compliance at each run, with its median (dashed) and run-chart signals</caption>'
             '<thead><tr><th scope="col">Rule</th><th scope="col">Run chart</th><th scope="col">Signals</th>'
             '</tr></thead><tbody>']
    w, h = 240, 40
    for rule, points in data.items():
        values = [v for _, v in points]
        m = median(values)
        xs = [round(i * (w - 10) / max(len(values) - 1, 1) + 5, 1) for i in range(len(values))]
        ys = [round(h - 5 - v * (h - 10), 1) for v in values]
        line = " ".join(f"{x},{y}" for x, y in zip(xs, ys, strict=True))
        my = round(h - 5 - m * (h - 10), 1)
        label = f"{rule}: from {values[0]:.1%} to {values[-1]:.1%} over {len(values)} runs"
        dots = "".join(f'<circle cx="{x}" cy="{y}" r="2" fill="#1d3557"/>' for x, y in zip(xs, ys, strict=True))
        parts.append(
            f'<tr><td>{escape(rule)}</td><td><svg width="{w}" height="{h}" role="img" aria-label="{escape(label)}">'
            f'<line x1="0" x2="{w}" y1="{my}" y2="{my}" stroke="#505a5f" stroke-dasharray="4 3"/>'
            f'<polyline fill="none" stroke="#1d3557" stroke-width="1.5" points="{line}"/>{dots}</svg></td>'
            f'<td>{escape(", ".join(signals(values)) or "none")}</td></tr>')
    parts.append("</tbody></table>")
    return "".join(parts)
