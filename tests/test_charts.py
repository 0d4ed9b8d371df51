"""The SVG charts: well-formed, values drawn to scale, every label escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from auditor.report import charts
from auditor.results import round_half_up
from auditor.scoring import grade_for

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert(1)</script><img src="http://127.0.0.1:9/x">'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(("score", "colour"), [(95, "#1e7b3c"), (85, "#5a9a2b"), (72, "#c99a06"), (61, "#d9690f"), (12, "#c0392b"), (None, charts.NO_SCORE)])
def test_score_colour_follows_the_grade_bands(score, colour) -> None:
    assert charts.score_colour(score) == colour


def test_gauge_shows_score_and_grade() -> None:
    root = parse(charts.gauge(72.4, "C"))
    assert "72.4" in texts(root) and "Grade C" in texts(root)
    arcs = [p for p in root.iter(f"{SVG}path")]
    assert len(arcs) == 2  # the track and the value
    assert arcs[1].get("stroke") == charts.score_colour(72.4)


def test_gauge_without_score_says_so_and_draws_no_value_arc() -> None:
    root = parse(charts.gauge(None, "Incomplete", coverage=0.0))
    assert texts(root)[:2] == ["Incomplete", "coverage 0.0%"]
    assert len(list(root.iter(f"{SVG}path"))) == 1


def test_an_incomplete_gauge_shows_no_score_and_no_coloured_arc() -> None:
    # 100 on 6 % of the checklist: the gauge must not show a bright green 100.
    root = parse(charts.gauge(100.0, "Incomplete", coverage=0.059))
    assert texts(root)[:2] == ["Incomplete", "coverage 5.9%"]
    assert "100.0" not in texts(root)
    assert len(list(root.iter(f"{SVG}path"))) == 1


def test_incomplete_areas_get_no_bar_and_say_so() -> None:
    root = parse(charts.bars([charts.Bar("Cost", 100.0, "Incomplete · 10.0%", incomplete=True),
                              charts.Bar("MFA", 50.0, "coverage 100.0%")]))
    assert len(list(root.iter(f"{SVG}rect"))) == 3  # two tracks, one value bar
    assert "Incomplete · 10.0%" in texts(root) and "100.0" not in texts(root)
    heat = parse(charts.heatmap(["T"], ["Cost", "MFA"], [[100.0, 50.0]], incomplete=[[True, False]]))
    assert "Inc." in texts(heat) and "50.0" in texts(heat) and "100.0" not in texts(heat)


def test_bars_are_proportional_and_labels_escaped() -> None:
    svg = charts.bars([charts.Bar(EVIL, 50.0), charts.Bar("Full", 100.0), charts.Bar("None", None)], width=400, label_width=100)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = parse(svg)
    rects = [r for r in root.iter(f"{SVG}rect")]
    # track, value, track, value, track (no value for the unscored one)
    assert len(rects) == 5
    half, full = float(rects[1].get("width")), float(rects[3].get("width"))
    assert full == pytest.approx(2 * half)
    assert "–" in texts(root)  # unscored: a dash, never a zero


def test_heatmap_cells_and_escaped_tenant_names() -> None:
    svg = charts.heatmap([EVIL, "Contoso"], ["MFA enforcement", "Cost alerts"], [[95.0, None], [40.0, float("nan")]],
                         legend=False)
    assert "<img" not in svg and "<script" not in svg
    root = parse(svg)
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills == [charts.score_colour(95.0), "#f1f3f5", charts.score_colour(40.0), "#f1f3f5"]
    assert texts(root).count("–") == 2


def test_trend_line_skips_unscored_audits() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    points = [charts.TrendPoint(start + timedelta(days=90 * i), s) for i, s in enumerate([40.0, None, 60.0, 80.0])]
    root = parse(charts.trend_line(points))
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    polylines = list(root.iter(f"{SVG}polyline"))
    assert len(polylines) == 1 and len(polylines[0].get("points").split()) == 2  # the gap splits the line
    assert "80.0" in texts(root)


def test_meter_clamps() -> None:
    root = parse(charts.meter(1.7, width=50))
    assert float(list(root.iter(f"{SVG}rect"))[1].get("width")) == 50


def test_a_shown_score_never_reaches_a_grade_floor_the_score_is_below() -> None:
    # Scores are shown with one decimal, rounded by the rule the grade is given from: 89.94 is "89.9", a B.
    assert [charts.score_label(s) for s in (89.6, 79.5, 100.0, 0.4, 89.94, None)] == [
        "89.6", "79.5", "100.0", "0.4", "89.9", "–"]
    assert grade_for(round_half_up(89.94), False) == "B" and grade_for(round_half_up(89.95), False) == "A"
    assert "89.6" in texts(parse(charts.gauge(89.6, "B")))
    assert "79.5" in texts(parse(charts.heatmap(["T"], ["Area"], [[79.5]])))


def test_heatmap_legend_names_every_grade_band_and_the_empty_cells() -> None:
    root = parse(charts.heatmap(["Contoso"], ["MFA"], [[95.0]]))
    labels = texts(root)
    for band in ("A 90–100", "B 80–89.9", "C 70–79.9", "D 60–69.9", "F below 60", "Inc. incomplete", "– no check"):
        assert band in labels
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert all(charts.GRADE_COLOURS[letter] in fills for letter in "ABCDF")


def test_grade_colour_is_the_colour_of_the_letter_shown() -> None:
    # A score of 95 capped at D by a critical failure reads as D: orange, not the green of its score.
    assert charts.grade_colour("D") == charts.score_colour(65.0) != charts.score_colour(95.0)
    assert charts.grade_colour("Incomplete") == charts.NO_SCORE


def test_bar_labels_too_long_for_their_column_wrap_instead_of_running_into_the_bars() -> None:
    label = "Security contacts, alerts and partner security requirements"
    root = parse(charts.bars([charts.Bar(label, 50.0), charts.Bar("MFA", 90.0)], width=400, label_width=120))
    lines = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text[0].isalpha() and t.text != "MFA"]
    assert len(lines) == 2 and " ".join(lines) in label + "…" or " ".join(lines).rstrip("…") in label
    assert all(charts.text_width(line, 11) <= 120 for line in lines)


def test_trend_points_are_labelled_with_their_audit_dates() -> None:
    start = datetime(2026, 2, 20, tzinfo=timezone.utc)
    points = [charts.TrendPoint(start + timedelta(days=91 * i), 50.0 + i) for i in range(4)]
    labels = texts(parse(charts.trend_line(points)))
    for point in points:
        assert point.at.strftime("%d %b").lstrip("0") in labels
    assert "2026" in labels
