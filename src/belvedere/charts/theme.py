"""The look of every chart: palette, fonts, number formats, axes, legends, bar widths.

One Vega-Lite ``config`` (the light theme) that the browser, PNG/SVG export and e-mail images
all draw with; the browser swaps in its dark colours under ``prefers-color-scheme: dark``
(``components/chart-view.js``). Numbers are written the way Superset's "smart number" does:
SI prefixes from d3-format (160M, 2.5k) with B, not G, for billions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

Spec = dict[str, Any]

#: Okabe and Ito's colour-blind-safe palette (black left out: it vanishes on a dark theme).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#999999"]
#: The same colours for a dark background: the light blue first (the dark one is dim there).
DARK_PALETTE = [PALETTE[4], *PALETTE[1:4], PALETTE[0], *PALETTE[5:]]
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
TEXT, MUTED, GRID, DOMAIN = "#1c2024", "#69717d", "#eef0f4", "#c7cdd5"
#: Pixels of one character of an axis label, on average (11 px system fonts).
CHAR_WIDTH = 6.0
#: Pixels between two horizontal labels.
LABEL_GAP = 8
#: Widest bar of a single series (pixels).
MAX_BAR_WIDTH = 56
LABEL_FONT_SIZE = 11


def si(value: str, digits: int = 3) -> str:
    """A Vega expression writing the number ``value`` (an expression) for people: ``digits``
    significant digits with an SI prefix from 1,000 on (160M, 21.2k, 3.4B), two decimals at
    most from 1 on, three significant digits below; empty for a missing value."""
    return (
        f"!isValid({value}) || !isFinite(+{value}) ? '' : "
        f"abs({value}) >= 1000 ? replace(format({value}, '.{digits}~s'), 'G', 'B') : "
        f"abs({value}) >= 1 || {value} == 0 ? format({value}, '.2~f') : "
        f"format({value}, '.3~g')"
    )


_BYTE_UNITS = ["KB", "MB", "GB", "TB", "PB"]


def byte_size(value: str) -> str:
    """A Vega expression writing the byte count ``value`` as the app does (``lib/format.js``
    ``bytes``): powers of 1024, "512 B", "1.2 GB"; empty for a missing value."""
    out = f"format({value}, 'd') + ' B'"
    for power, unit in enumerate(_BYTE_UNITS, start=1):
        out = (
            f"abs({value}) >= pow(1024, {power}) ? "
            f"format({value} / pow(1024, {power}), '.1f') + ' {unit}' : {out}"
        )
    return f"!isValid({value}) || !isFinite(+{value}) ? '' : {out}"


def number(value: str, unit: str | None, digits: int = 3) -> str:
    """A Vega expression writing ``value`` in its unit: bytes, else SI (:func:`si`)."""
    return byte_size(value) if unit == "bytes" else si(value, digits)


def datum(name: str) -> str:
    """A Vega expression reading the field ``name`` of a row (any characters in it)."""
    return f"datum[{json.dumps(name)}]"


def usermeta() -> Spec:
    """What the browser reads to draw the dark variant (``components/chart-view.js``)."""
    return {"darkPalette": DARK_PALETTE}


def config(unit: str | None = None) -> Spec:
    """The Vega-Lite config of the light theme (quantitative axes in ``unit``)."""
    axis = {
        "labelColor": MUTED,
        "labelFont": FONT,
        "labelFontSize": LABEL_FONT_SIZE,
        "titleColor": TEXT,
        "titleFont": FONT,
        "titleFontSize": 12,
        "titleFontWeight": 500,
        "titlePadding": 8,
        "domainColor": DOMAIN,
        "tickColor": DOMAIN,
        "gridColor": GRID,
        "labelPadding": 4,
    }
    return {
        "background": "#ffffff",
        "font": FONT,
        "padding": 8,
        "view": {"stroke": None},
        "title": {
            "anchor": "start",
            "color": TEXT,
            "font": FONT,
            "fontSize": 14,
            "fontWeight": 600,
            "offset": 12,
        },
        "axis": axis,
        "axisBand": {"grid": False, "ticks": False, "domainColor": DOMAIN},
        "axisQuantitative": {"labelExpr": number("datum.value", unit), "tickCount": 6},
        "axisX": {"grid": False},
        "axisY": {"domain": False, "ticks": False},
        "legend": {
            "orient": "top",
            "direction": "horizontal",
            "columns": {"expr": "max(1, floor(width / 140))"},
            "titleOrient": "left",
            "titleColor": TEXT,
            "titleFont": FONT,
            "titleFontSize": 12,
            "titleFontWeight": 500,
            "labelColor": MUTED,
            "labelFont": FONT,
            "labelFontSize": LABEL_FONT_SIZE,
            "labelLimit": 160,
            "symbolType": "circle",
            "symbolSize": 90,
            "columnPadding": 14,
            "padding": 2,
        },
        "range": {"category": PALETTE},
        "mark": {"color": PALETTE[0]},
        "bar": {"color": PALETTE[0]},
        "line": {"strokeWidth": 2},
        "point": {"size": 36, "filled": True},
        "arc": {"stroke": "#ffffff", "strokeWidth": 1},
        "scale": {"barBandPaddingInner": 0.25},
        "text": {"color": TEXT, "font": FONT},
    }


def tilt(labels: Sequence[str] | None, *, max_chars: int | None = None) -> Spec:
    """Axis properties of a band axis along x: labels level unless they would collide at the
    chart's width (a signal, so the decision follows the browser's resizes), then at -45°.

    ``labels``: the labels drawn, when known: their count and the longest decide. Unknown, the
    scale's domain gives the count and ``max_chars`` (else 12) the length."""
    if labels is not None:
        longest = max((len(label) for label in labels), default=0)
        count: str | int = len(labels)
    else:
        longest = max_chars or 12
        count = "max(1, length(domain('x')))"
    needed = f"{count} * {round(longest * CHAR_WIDTH + LABEL_GAP)}"
    tilted = f"width < {needed}"
    return {
        "labelAngle": {"expr": f"{tilted} ? -45 : 0"},
        "labelAlign": {"expr": f"{tilted} ? 'right' : 'center'"},
        "labelBaseline": "top",
    }


def bar_width(channel: str = "x") -> Spec:
    """A bar's width: its band, up to :data:`MAX_BAR_WIDTH` pixels (no wall of wide bars)."""
    return {"expr": f"min(bandwidth('{channel}'), {MAX_BAR_WIDTH})"}
