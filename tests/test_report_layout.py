"""The report on any screen, with run charts that show change and filters that never hide.

The page is measured in headless Chromium (a real layout engine: media queries, fonts, wrapping).
Chromium will not make a window narrower than 500 px, so the report is loaded in an iframe of
exactly the width wanted, whose viewport is then that width, and a script in the (test-only) outer
page writes the measurements into the DOM that ``--dump-dom`` prints. Screenshots at each width
are kept for a person to look at (the path is printed; run with ``-s`` to see it).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from careplan_checks.reports import trend

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
RAG_ORDER = {"red": 0, "amber": 1, "green": 2, "": 3}


def _chromium(tmp: Path, url: str, *extra: str) -> str:
    if CHROMIUM is None:
        pytest.fail("headless Chromium is required for the layout tests and was not found on PATH: install the "
                    "'chromium' package (.ci/run does)", pytrace=False)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'profile'}", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout


MEASURE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="%(src)s" style="border:0;width:%(width)dpx;height:2000px"></iframe>
<script>
window.addEventListener('load', function () {
  var out = {};
  try {
    var w = document.getElementById('f').contentWindow, d = w.document, root = d.documentElement;
    // an element's text wraps when its pieces sit on more than one line
    function wraps(el) {
      var r = d.createRange(); r.selectNodeContents(el);
      var tops = Array.prototype.map.call(r.getClientRects(), function (c) { return c.top; });
      return tops.length > 1 && Math.max.apply(null, tops) - Math.min.apply(null, tops) > 4;
    }
    function wrapped(sel) {
      return Array.prototype.filter.call(d.querySelectorAll(sel), function (el) {
        return el.getClientRects().length && wraps(el); }).map(function (el) { return el.textContent; });
    }
    var section = d.querySelector('section[aria-labelledby="h-trend"]');
    out = {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, innerWidth: w.innerWidth,
           rids: d.querySelectorAll('.rid').length, ridsWrapped: wrapped('.rid'),
           dates: d.querySelectorAll('.date').length, datesWrapped: wrapped('.date'),
           trendHeight: section ? section.getBoundingClientRect().height : null,
           chartHeights: Array.prototype.map.call(d.querySelectorAll('#trend svg'), function (s) {
             return s.getBoundingClientRect().height; }),
           exceptionsTop: d.getElementById('h-exceptions').getBoundingClientRect().top};
  } catch (e) { out = {error: String(e)}; }
  document.documentElement.setAttribute('data-measure', JSON.stringify(out));
});
</script></body></html>"""


def _measure(tmp: Path, page: Path, width: int) -> dict:
    outer = tmp / f"measure-{width}.html"
    outer.write_text(MEASURE % {"src": page.as_uri(), "width": width})
    dom = _chromium(tmp, outer.as_uri(), "--allow-file-access-from-files", f"--window-size={max(width, 500) + 40},2000",
                    "--dump-dom")
    found = re.search(r'data-measure="([^"]*)"', dom)
    assert found, f"Chromium gave no measurement: {dom[:500]}"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert "error" not in result, result
    return result


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> tuple[Path, Path]:
    """The sample extract run on two nights (so there are run charts), with a dispute recorded."""
    from click.testing import CliRunner

    from careplan_checks.cli import SAMPLE_DIR, main

    base = tmp_path_factory.mktemp("layout")
    out, db = base / "report", base / "h.duckdb"

    def cli(*args):
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    for as_of in ("2025-03-30", "2025-03-31"):
        cli("run", SAMPLE_DIR, "--as-of", as_of, "--db", db, "--out", out, "--no-quality")
    return out, db


@pytest.mark.parametrize("width", [400, 1400])
def test_the_page_never_scrolls_sideways_and_ids_and_dates_never_break(nights, tmp_path: Path, width: int):
    out, _ = nights
    page = out / "report.html"
    m = _measure(tmp_path, page, width)
    assert m["innerWidth"] == width, "the frame's viewport is the width under test"
    assert m["scrollWidth"] <= m["clientWidth"], f"the page scrolls sideways at {width} px: {m}"
    assert m["rids"] > 60 and m["ridsWrapped"] == [], "rule IDs never break"
    if width >= 1400:
        assert m["dates"] > 100 and m["datesWrapped"] == [], "on a desktop, dates never wrap"
        assert m["chartHeights"] and max(m["chartHeights"]) <= 60, m["chartHeights"]
        assert m["trendHeight"] <= 1000, "the run charts stay compact"
        assert m["exceptionsTop"] < 2500, "the exceptions are not pushed far down the page"
    shots = Path(out.parent / "screenshots")
    shots.mkdir(exist_ok=True)
    shot = shots / f"report-{width}.png"
    _chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", f"--window-size={width},2000")
    assert shot.is_file() and shot.stat().st_size > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot for a person to look at: {shot}")


def test_the_width_check_catches_a_page_that_overflows(tmp_path: Path):
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><body><h2 id="h-exceptions">x</h2><span class="rid">REV-01</span>'
                    '<table><tr><td style="white-space:nowrap">' + "wide " * 200 + "</td></tr></table></body></html>")
    m = _measure(tmp_path, page, 400)
    assert m["innerWidth"] == 400 and m["scrollWidth"] > m["clientWidth"]
    narrow = tmp_path / "narrow.html"
    narrow.write_text('<!DOCTYPE html><html><body><h2 id="h-exceptions">x</h2>'
                      '<p style="width:60px"><span class="date">2025-03-31 2025-03-31</span></p></body></html>')
    assert _measure(tmp_path, narrow, 400)["datesWrapped"], "the wrap check sees a wrapped date"


def test_compliance_table_is_red_then_amber_then_green(nights):
    out, _ = nights
    html = (out / "report.html").read_text()
    table = html[html.index('<table id="rules"'):html.index("</table>", html.index('<table id="rules"'))]
    rows = re.findall(r'<tr data-rule="([^"]+)" data-rag="([^"]*)">', table)
    rags = [r for _, r in rows]
    assert {"red", "amber", "green"} <= set(rags), "the sample has rules of every colour, so the order is tested"
    assert rows == sorted(rows, key=lambda r: (RAG_ORDER[r[1]], r[0])), "red first, then amber, then green; by id"


def _shown(dom: str) -> int:
    found = re.search(r'data-count="(\d+)"', dom)
    assert found, "the page did not run its script"
    return int(found.group(1))


def test_filters_match_in_any_case_and_none_selects_rows_without_a_team(nights, tmp_path: Path):
    out, _ = nights
    with (out / "exceptions.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    north = sum(r["TEAM"] == "North" for r in rows)
    no_team = sum(r["TEAM"] == "" for r in rows)
    assert 0 < north < len(rows) and 0 < no_team < len(rows)
    url = (out / "report.html").as_uri()
    assert _shown(_chromium(tmp_path, url + "#team=north", "--dump-dom")) == north
    assert _shown(_chromium(tmp_path, url + "#TEAM=NORTH", "--dump-dom")) == north
    assert _shown(_chromium(tmp_path, url + "#team=(none)", "--dump-dom")) == no_team
    unknown = _chromium(tmp_path, url + "#team=nowhere", "--dump-dom")
    assert _shown(unknown) == len(rows), "a value no row has hides nothing"
    assert 'No exception has team "nowhere": that filter is not applied.' in unknown


def test_cli_team_is_matched_in_any_case_and_an_unknown_one_is_an_error(nights):
    from click.testing import CliRunner

    from careplan_checks.cli import main

    _, db = nights

    def listed(*args):
        return CliRunner().invoke(main, ["exceptions", "--db", str(db), "--format", "json", *args],
                                  catch_exceptions=False)

    north = json.loads(listed("--team", "north").output)
    assert north and {r["TEAM"] for r in north} == {"North"}
    assert json.loads(listed("--team", "NORTH").output) == north
    none = json.loads(listed("--team", "(none)").output)
    assert none and {r["TEAM"] for r in none} == {None}
    bad = listed("--team", "Nowhere")
    assert bad.exit_code == 2 and "North" in bad.output and "(none)" in bad.output


def _pts(*rates: float) -> list[trend.Point]:
    return [trend.Point(f"2025-03-{i + 1:02d}", r, 0, True) for i, r in enumerate(rates)]


def _labels(svg: str) -> tuple[str, str]:
    lo = re.search(r'class="axis-min"[^>]*>([^<]+)<', svg) or re.search(r'class="axis-max axis-min"[^>]*>([^<]+)<',
                                                                        svg)
    hi = re.search(r'class="axis-max[^"]*"[^>]*>([^<]+)<', svg)
    return lo.group(1), hi.group(1)


def test_a_run_chart_s_axis_follows_its_data():
    small = trend.chart("A-01", _pts(0.995, 0.994, 0.992), target=0.95)
    wide = trend.chart("B-01", _pts(0.80, 0.85, 0.90), target=0.85)
    assert _labels(small) == ("99.2%", "99.5%")
    assert _labels(wide) == ("80.0%", "90.0%")
    assert ">99.2%</text></svg>" in small, "the latest value is labelled"
    # 99.5 % to 99.2 % spans the plot: first and last points are the plot height apart
    ys = [float(y) for y in re.findall(r'<circle cx="[^"]+" cy="([^"]+)"', small)]
    assert ys[-1] - ys[0] >= trend.HEIGHT - trend.TOP - trend.BOTTOM - 0.5
    assert 'class="target"' in wide and 'class="target"' not in small
    assert "target 95% (below the range)" in small
    for svg in (small, wide):
        assert int(re.search(r'<svg width="\d+" height="(\d+)"', svg).group(1)) <= 60
    flat = trend.chart("C-01", _pts(1.0, 1.0), target=1.0)
    assert _labels(flat) == ("100.0%", "100.0%") and flat.count("100.0%</text>") == 2  # the axis and the latest


def test_each_chart_in_the_report_is_labelled_with_its_own_range(nights):
    out, _ = nights
    html = (out / "report.html").read_text()
    svgs = re.findall(r"<figure data-rule=.*?</figure>", html)
    assert len(svgs) > 20
    for svg in svgs:
        lo, hi = (float(v) for v in re.search(r'data-min="([^"]+)" data-max="([^"]+)"', svg).groups())
        assert _labels(svg) == (trend.percent(lo, lo, hi), trend.percent(hi, lo, hi))
        assert int(re.search(r'<svg width="\d+" height="(\d+)"', svg).group(1)) <= 60
