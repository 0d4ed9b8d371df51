"""Inline SVG charts for the reports: a score gauge, horizontal bars, a tenant × area heatmap and a score
trend line.

Pure string builders: no I/O, no JavaScript, no external references, so the same markup works in a browser
opened offline and in WeasyPrint. Every piece of text that reaches the SVG (tenant names, labels) is
escaped here, because tenant data is untrusted; callers may mark the returned string safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from html import escape

from auditor.safe_text import file_text
from typing import Sequence

from auditor.results import INCOMPLETE, fmt_coverage, fmt_score, is_letter_grade

FONT = "Liberation Sans, sans-serif"  # the bundled family (reports/templates/assets/fonts)
TRACK = "#e6e8eb"
INK = "#1d2733"
MUTED = "#6b7785"
NO_SCORE = "#c9ced4"

# Score bands follow the grade floors of the scoring rule (A ≥ 90 … F < 60).
_BANDS: tuple[tuple[float, str], ...] = (
    (90.0, "#1e7b3c"),
    (80.0, "#5a9a2b"),
    (70.0, "#c99a06"),
    (60.0, "#d9690f"),
    (0.0, "#c0392b"),
)


def score_colour(score: float | None) -> str:
    """The colour of a score's grade band; grey when nothing is scored."""
    if score is None or math.isnan(score):
        return NO_SCORE
    return next(colour for floor, colour in _BANDS if score >= floor)


GRADE_COLOURS: dict[str, str] = dict(zip(("A", "B", "C", "D", "F"), (colour for _, colour in _BANDS)))


def grade_colour(grade: str) -> str:
    """The colour of a grade letter, the one a reader sees: a score of 95 capped at D is orange, not
    green. Grey without a letter grade (Incomplete)."""
    return GRADE_COLOURS.get(grade, NO_SCORE)


def text_width(label: str, size: float) -> float:
    """About how wide ``label`` is in Liberation Sans at ``size`` px (0.56 em a character on average)."""
    return len(label) * size * 0.56


def score_label(score: float | None) -> str:
    """A score as every output prints it: one decimal with the one rounding rule (the grade is given from
    the same rounded figure, so "89.9" always sits beside a B); "–" when nothing is scored."""
    if score is None or math.isnan(score):
        return "–"
    return fmt_score(max(0.0, min(100.0, float(score))))


def text(value: object) -> str:
    """Escape for SVG text and attribute values (tenant text: controls and bidi overrides dropped first)."""
    return escape(file_text(str(value)), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _clip(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _svg(width: float, height: float, body: str, title: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
        f'width="{_fmt(width)}" height="{_fmt(height)}" viewBox="0 0 {_fmt(width)} {_fmt(height)}" '
        f'font-family="{FONT}"><title>{text(title)}</title>{body}</svg>'
    )


def _arc_point(cx: float, cy: float, radius: float, fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` along a half circle running from the left (0) over the top to the right (1)."""
    angle = math.pi * (1.0 - fraction)
    return cx + radius * math.cos(angle), cy - radius * math.sin(angle)


def _arc(cx: float, cy: float, radius: float, start: float, end: float) -> str:
    x1, y1 = _arc_point(cx, cy, radius, start)
    x2, y2 = _arc_point(cx, cy, radius, end)
    return f"M {_fmt(x1)} {_fmt(y1)} A {_fmt(radius)} {_fmt(radius)} 0 0 1 {_fmt(x2)} {_fmt(y2)}"


def gauge(score: float | None, grade: str, *, width: float = 220, label: str = "Security score",
          coverage: float | None = None) -> str:
    """A half-circle gauge from 0 to 100 with the score in the middle and the grade under it. Without a
    letter grade (coverage below the floor, or nothing scored) the gauge shows "Incomplete" and the
    coverage instead: a bright 100 resting on 6 % of the checklist would flatter the tenant."""
    graded = score is not None and is_letter_grade(grade)
    height = width * 0.62
    cx, cy = width / 2, width * 0.5
    radius = width * 0.40
    stroke = width * 0.09
    body = [
        f'<path d="{_arc(cx, cy, radius, 0, 1)}" fill="none" stroke="{TRACK}" '
        f'stroke-width="{_fmt(stroke)}" stroke-linecap="butt"/>'
    ]
    # Faint ticks at the grade floors, so a reader sees how far the score is from the next grade.
    for floor in (60, 70, 80, 90):
        x1, y1 = _arc_point(cx, cy, radius - stroke / 2, floor / 100)
        x2, y2 = _arc_point(cx, cy, radius + stroke / 2, floor / 100)
        body.append(
            f'<line x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}" stroke="#ffffff" stroke-width="1.5"/>'
        )
    if graded and score is not None:
        value = max(0.0, min(100.0, float(score)))
        if value > 0:
            body.insert(
                1,
                f'<path d="{_arc(cx, cy, radius, 0, value / 100)}" fill="none" stroke="{score_colour(value)}" '
                f'stroke-width="{_fmt(stroke)}" stroke-linecap="butt"/>',
            )
    shown = score_label(score) if graded else INCOMPLETE
    size = width * (0.16 if graded else 0.11)  # "100.0" fits inside the arc
    body.append(
        f'<text x="{_fmt(cx)}" y="{_fmt(cy - width * 0.05)}" text-anchor="middle" font-size="{_fmt(size)}" '
        f'font-weight="bold" fill="{INK if graded else MUTED}">{text(shown)}</text>'
    )
    if graded:
        caption = f"Grade {grade}"
    else:
        caption = f"coverage {fmt_coverage(coverage)}" if coverage is not None else "no grade"
    body.append(
        f'<text x="{_fmt(cx)}" y="{_fmt(cy + width * 0.085)}" text-anchor="middle" font-size="{_fmt(width * 0.075)}" '
        f'fill="{MUTED}">{text(caption)}</text>'
    )
    for fraction, mark in ((0, "0"), (1, "100")):
        x, _ = _arc_point(cx, cy, radius, fraction)
        body.append(
            f'<text x="{_fmt(x)}" y="{_fmt(cy + width * 0.085)}" text-anchor="middle" '
            f'font-size="{_fmt(width * 0.05)}" fill="{MUTED}">{mark}</text>'
        )
    title = f"{label}: {shown} out of 100, {caption.lower()}" if graded else f"{label}: {INCOMPLETE}, {caption}"
    return _svg(width, height, "".join(body), title, "chart gauge")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # 0..100; None = not scored
    note: str = ""  # shown right of the bar (e.g. coverage)
    incomplete: bool = False  # below the coverage floor: no bar and no figure, the note says why


def bars(items: Sequence[Bar], *, width: float = 460, label_width: float = 170, row: float = 22) -> str:
    """Horizontal 0–100 bars, one per item, coloured by grade band; an unscored item says so. A label too
    long for ``label_width`` wraps onto a second line (the row grows), so labels never run into the bars."""
    value_width = 44
    note_width = 104 if any(item.note for item in items) else 0
    track_width = width - label_width - value_width - note_width - 8
    chars = max(8, int((label_width - 6) / (11 * 0.56)))
    labels = [_wrap(item.label.split(), chars, max_lines=2) or [""] for item in items]
    heights = [row + 12 * (len(lines) - 1) for lines in labels]
    height = sum(heights) + 4 if items else row + 4
    body: list[str] = []
    y = 2.0
    for item, lines, row_height in zip(items, labels, heights):
        mid = y + row_height / 2
        for number, line in enumerate(lines):
            line_y = mid + 4 - 6 * (len(lines) - 1) + 12 * number
            body.append(f'<text x="0" y="{_fmt(line_y)}" font-size="11" fill="{INK}">{text(line)}</text>')
        x0 = label_width
        bar_y = mid - (row - 8) / 2
        body.append(
            f'<rect x="{_fmt(x0)}" y="{_fmt(bar_y)}" width="{_fmt(track_width)}" height="{_fmt(row - 8)}" '
            f'rx="2" fill="{TRACK}"/>'
        )
        scored = item.value is not None and not item.incomplete
        if scored:
            value = max(0.0, min(100.0, float(item.value)))  # type: ignore[arg-type]
            # A zero still gets a sliver, so it reads as "scored 0" rather than "no data".
            body.append(
                f'<rect x="{_fmt(x0)}" y="{_fmt(bar_y)}" width="{_fmt(max(track_width * value / 100, 2.5))}" '
                f'height="{_fmt(row - 8)}" rx="2" fill="{score_colour(value)}"/>'
            )
            shown = score_label(value)
        else:
            shown = "–"  # nothing scored, or below the coverage floor (the note says which)
        body.append(
            f'<text x="{_fmt(x0 + track_width + 6)}" y="{_fmt(mid + 4)}" font-size="11" font-weight="bold" '
            f'fill="{INK if scored else MUTED}">{text(shown)}</text>'
        )
        if item.note:
            body.append(
                f'<text x="{_fmt(x0 + track_width + 6 + value_width)}" y="{_fmt(mid + 4)}" font-size="10" '
                f'fill="{MUTED}">{text(_clip(item.note, 20))}</text>'
            )
        y += row_height
    title = "; ".join(
        f"{item.label}: {INCOMPLETE if item.incomplete else 'not scored' if item.value is None else score_label(item.value)}"
        for item in items
    )
    return _svg(width, height, "".join(body), title or "No data", "chart bars")


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    width: float = 680,
    label_width: float = 200,
    row: float = 20,
    header: float = 50,
    incomplete: Sequence[Sequence[bool]] | None = None,
    legend: bool = True,
) -> str:
    """A grid of scores: one row per tenant, one column per area; empty cells mean "not scored", and a
    cell marked in ``incomplete`` (area coverage below the floor) reads "Inc." on grey, without a score.
    With ``legend``, a key under the grid names each colour's score band, "Inc." and "–"."""
    columns = list(columns)
    cell_width = (width - label_width) / max(len(columns), 1)
    legend_height = 26.0 if legend else 0.0
    height = header + row * len(rows) + 2 + legend_height
    body: list[str] = []
    if legend:
        y = header + row * len(rows) + 12
        x = 0.0
        keys = [(colour, f"{floor:g}–{100 if index == 0 else _BANDS[index - 1][0] - 0.1:g}" if floor else "below 60")
                for index, (floor, colour) in enumerate(_BANDS)]
        keys = [(colour, f"{letter} {band}") for (colour, band), letter in zip(keys, "ABCDF")]
        keys += [("#f1f3f5", "Inc. incomplete"), ("#f1f3f5", "– no check")]
        for colour, label in keys:
            body.append(f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="12" height="10" fill="{colour}" stroke="#c9ced4" stroke-width="0.5"/>')
            body.append(f'<text x="{_fmt(x + 16)}" y="{_fmt(y + 9)}" font-size="9" fill="{INK}">{text(label)}</text>')
            x += 16 + text_width(label, 9) + 14
    for col, name in enumerate(columns):
        x = label_width + col * cell_width + cell_width / 2
        # Up to three short lines, as many characters as the column holds in bold 9.5 px (about 6.2 px each),
        # so titles like "Security contacts and alerts" never run into the next column's.
        lines = _wrap(_clip(name, 40).split(), max(8, int(cell_width / 6.2)))
        for line_number, line in enumerate(lines):
            y = header - 9 - 12 * (len(lines) - 1 - line_number)
            body.append(
                f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="middle" font-size="9.5" '
                f'font-weight="bold" fill="{INK}">{text(line)}</text>'
            )
    for index, name in enumerate(rows):
        y = header + index * row
        body.append(
            f'<text x="0" y="{_fmt(y + row / 2 + 4)}" font-size="10.5" fill="{INK}">{text(_clip(name, 32))}</text>'
        )
        for col in range(len(columns)):
            value = values[index][col] if col < len(values[index]) else None
            if value is not None and isinstance(value, float) and math.isnan(value):
                value = None
            x = label_width + col * cell_width
            short = bool(incomplete and col < len(incomplete[index]) and incomplete[index][col])
            fill = score_colour(value) if value is not None and not short else "#f1f3f5"
            body.append(
                f'<rect x="{_fmt(x + 1)}" y="{_fmt(y + 1)}" width="{_fmt(cell_width - 2)}" height="{_fmt(row - 2)}" '
                f'fill="{fill}"/>'
            )
            shown = "Inc." if short else score_label(value)
            colour = "#ffffff" if value is not None and not short else MUTED
            body.append(
                f'<text x="{_fmt(x + cell_width / 2)}" y="{_fmt(y + row / 2 + 4)}" text-anchor="middle" '
                f'font-size="10" fill="{colour}">{shown}</text>'
            )
    return _svg(width, height, "".join(body), f"Scores of {len(rows)} tenants by area", "chart heatmap")


def _wrap(words: list[str], limit: int, max_lines: int = 3) -> list[str]:
    """Words in lines of at most ``limit`` characters (a longer word gets a line of its own, clipped), at
    most ``max_lines`` lines, the last one clipped with an ellipsis when words are left over."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [_clip(" ".join(lines[max_lines - 1:]), limit)]
    return [_clip(line, limit) for line in lines]


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    score: float | None


def trend_line(points: Sequence[TrendPoint], *, width: float = 300, height: float = 110) -> str:
    """The score over past audits (oldest left), 0–100 on the vertical axis; unscored audits are gaps."""
    left, right, top, bottom = 26.0, 12.0, 10.0, 28.0
    plot_w, plot_h = width - left - right, height - top - bottom
    body: list[str] = []
    for mark in (0, 50, 100):
        y = top + plot_h * (1 - mark / 100)
        body.append(
            f'<line x1="{_fmt(left)}" y1="{_fmt(y)}" x2="{_fmt(width - right)}" y2="{_fmt(y)}" stroke="{TRACK}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{_fmt(left - 4)}" y="{_fmt(y + 3)}" text-anchor="end" font-size="8.5" fill="{MUTED}">{mark}</text>'
        )
    count = len(points)

    def position(index: int, score: float) -> tuple[float, float]:
        x = left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)
        return x, top + plot_h * (1 - max(0.0, min(100.0, score)) / 100)

    segment: list[str] = []
    segments: list[list[str]] = []
    for index, point in enumerate(points):
        if point.score is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = position(index, point.score)
        segment.append(f"{_fmt(x)},{_fmt(y)}")
    if segment:
        segments.append(segment)
    for line in segments:
        if len(line) > 1:
            body.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{INK}" stroke-width="1.6"/>')
    for index, point in enumerate(points):
        if point.score is None:
            continue
        x, y = position(index, point.score)
        last = index == count - 1
        body.append(
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{4.0 if last else 3.2}" fill="{score_colour(point.score)}" '
            f'stroke="#ffffff" stroke-width="0.8"/>'
        )
        if last:
            anchor = "end" if count > 1 else "middle"
            body.append(
                f'<text x="{_fmt(x + (0 if count == 1 else -5))}" y="{_fmt(y - 6 if y > top + 12 else y + 14)}" '
                f'text-anchor="{anchor}" font-size="10" font-weight="bold" fill="{INK}">{score_label(point.score)}</text>'
            )
    # Each audit is labelled with its date (the --as-of date of a run that gave one). Labels need about 46 px;
    # when points are closer, every k-th is labelled, always the last.
    spacing = plot_w / (count - 1) if count > 1 else plot_w
    step = max(1, math.ceil(46 / spacing)) if count > 1 else 1
    for index, point in enumerate(points):
        if (count - 1 - index) % step:
            continue
        x = left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)
        anchor = "end" if index == count - 1 and count > 1 else "start" if index == 0 and count > 1 else "middle"
        body.append(
            f'<text x="{_fmt(x)}" y="{_fmt(height - 12)}" text-anchor="{anchor}" font-size="8" fill="{MUTED}">'
            f"{text(point.at.strftime('%d %b').lstrip('0'))}</text>"
            f'<text x="{_fmt(x)}" y="{_fmt(height - 3)}" text-anchor="{anchor}" font-size="8" fill="{MUTED}">'
            f"{text(point.at.strftime('%Y'))}</text>"
        )
    title = "Score over past audits: " + ", ".join(
        f"{p.at:%Y-%m-%d} {'not scored' if p.score is None else score_label(p.score)}" for p in points
    )
    return _svg(width, height, "".join(body), title, "chart trend")


def meter(fraction: float, *, width: float = 90, height: float = 8, colour: str = INK) -> str:
    """A thin 0–1 meter, for coverage and "tenants affected" columns in tables."""
    value = max(0.0, min(1.0, float(fraction)))
    return _svg(
        width,
        height,
        f'<rect x="0" y="0" width="{_fmt(width)}" height="{_fmt(height)}" rx="2" fill="{TRACK}"/>'
        f'<rect x="0" y="0" width="{_fmt(width * value)}" height="{_fmt(height)}" rx="2" fill="{text(colour)}"/>',
        f"{value:.0%}",
        "chart meter",
    )
