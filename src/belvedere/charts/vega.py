"""A chart spec as a Vega-Lite (v6) spec over its result rows.

The rows are the named dataset ``rows`` (the browser passes them) or inline values (drawing on
the server). Column types come from the family (``warehouses/families.py``) of the result's
Arrow type names when known (``int64``, ``date32[day]``, ``timestamp[us, tz=UTC]``...), else
from the column's role in the spec. Dates and zoned timestamps are drawn in UTC (browsers
read ``2024-01-01`` as UTC midnight), naive timestamps in local time (read as local). Tables
and pivots are HTML, not Vega-Lite: ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from belvedere.charts.spec import ChartSpec, ChartType, Grain
from belvedere.warehouses.families import Family, of_type_name

#: The Vega-Lite major version both vl-convert (server) and the npm package (browser) draw.
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
NUMBER_FORMAT = ",.2~f"

_TIME_UNITS = {
    Grain.HOUR: "yearmonthdatehours",
    Grain.DAY: "yearmonthdate",
    Grain.WEEK: "yearmonthdate",  # Vega's weeks start on Sunday; ours on Monday
    Grain.MONTH: "yearmonth",
    Grain.QUARTER: "yearquarter",
    Grain.YEAR: "year",
}
# Names of fields of our own (folded metrics, the big number's row): unlikely column names.
_SERIES, _VALUE, _ROW, _ROWS = "__series", "__value", "__row", "__rows"

Spec = dict[str, Any]


def vega_lite(
    spec: ChartSpec,
    columns: Sequence[tuple[str, str]] | None = None,
    *,
    values: list[dict[str, Any]] | None = None,
) -> Spec | None:
    """The Vega-Lite spec of ``spec``'s chart; ``None`` for tables and pivots.

    ``columns``: (name, Arrow type name) of the result's columns. ``values``: the rows inline,
    else the data is the named dataset ``rows``.
    """
    draw = _DRAWERS.get(spec.type)
    if draw is None:
        return None
    chart = _Chart(spec, dict(columns or ()))
    out: Spec = {"$schema": SCHEMA}
    if spec.options.title:
        out["title"] = spec.options.title
    out["data"] = {"name": "rows"} if values is None else {"values": values}
    out.update(draw(chart))
    return out


class _Chart:
    """A spec, its result columns' types, and the encodings every drawing shares."""

    def __init__(self, spec: ChartSpec, types: dict[str, str]) -> None:
        self.spec = spec
        self.types = types
        self.axes = ([spec.time.column] if spec.time else []) + list(spec.dimensions)
        self.metrics = [m.name for m in spec.metrics]

    def is_time(self, name: str) -> bool:
        return self.spec.time is not None and name == self.spec.time.column

    def kind(self, name: str) -> str:
        """Vega-Lite's type of a result column."""
        if self.is_time(name):
            return "temporal"
        found = self.types.get(name)
        if found is None:
            return "quantitative" if name in self.metrics else "nominal"
        family = of_type_name(found)
        if family is Family.TEMPORAL and found.startswith(("date", "timestamp")):
            return "temporal"  # a time of day (Arrow's time64) is no point on a time axis
        return "quantitative" if family is Family.NUMERIC else "nominal"

    def utc(self, name: str) -> bool:
        found = self.types.get(name, "")
        return found.startswith("date") or "tz=" in found

    def continuous(self, name: str) -> Spec:
        """A position channel where time and numbers are continuous (line, area)."""
        kind = self.kind(name)
        if kind == "nominal":
            return _encoding(name, "ordinal", sort=None)  # in the rows' order
        return self._time_unit(name, _encoding(name, kind))

    def discrete(self, name: str) -> Spec:
        """A channel of bands or categories (bar, heatmap, pie), in the rows' order."""
        kind = "nominal" if self.kind(name) == "nominal" else "ordinal"
        if self.is_time(name):
            return self._time_unit(name, _encoding(name, kind))
        return _encoding(name, kind, sort=None)

    def _time_unit(self, name: str, out: Spec) -> Spec:
        if self.is_time(name) and self.spec.time is not None:
            unit = _TIME_UNITS[self.spec.time.grain]
            out["timeUnit"] = f"utc{unit}" if self.utc(name) else unit
        return out

    def measure(self) -> tuple[list[Spec], Spec, Spec | None]:
        """Transforms, the y encoding and the series (color) encoding: several metrics are
        folded into one series each, else the second dimension makes the series."""
        if len(self.metrics) > 1:
            fold = {"fold": [_field(m) for m in self.metrics], "as": [_SERIES, _VALUE]}
            folded = _encoding(_SERIES, "nominal", title="metric", sort=self.metrics)
            return [fold], _encoding(_VALUE, "quantitative", title="value"), folded
        second = self.discrete(self.axes[1]) if len(self.axes) > 1 else None
        return [], self.metric(self.metrics[0]), second

    def metric(self, name: str) -> Spec:
        return _encoding(name, "quantitative")

    def tooltip(self, folded: bool = False) -> list[Spec]:
        """Every dimension and metric (or the folded series and value) of a row."""
        tips = [self._time_unit(a, _encoding(a, self.kind(a))) for a in self.axes]
        if folded:
            tips.append(_encoding(_SERIES, "nominal", title="metric"))
            tips.append(_encoding(_VALUE, "quantitative", title="value", format=NUMBER_FORMAT))
        else:
            tips += [_encoding(m, "quantitative", format=NUMBER_FORMAT) for m in self.metrics]
        return tips


def _field(name: str) -> str:
    """A column name as a Vega field: dots and brackets would otherwise be paths."""
    return re.sub(r"([\\.\[\]])", r"\\\1", name)


def _encoding(name: str, kind: str, *, title: str | None = None, **more: Any) -> Spec:
    return {"field": _field(name), "type": kind, "title": title or name, **more}


def _single(mark: Spec, encoding: Spec, transform: list[Spec] | None = None) -> Spec:
    out: Spec = {"width": "container", "autosize": {"type": "fit", "contains": "padding"}}
    if transform:
        out["transform"] = transform
    out["mark"] = {**mark, "tooltip": True}
    out["encoding"] = encoding
    return out


def _bar(chart: _Chart) -> Spec:
    transform, y, series = chart.measure()
    encoding: Spec = {"x": chart.discrete(chart.axes[0]), "y": y}
    if series:
        encoding["color"] = series
        if not chart.spec.options.stacked:
            encoding["xOffset"] = {k: v for k, v in series.items() if k != "title"}
            y["stack"] = None
    encoding["tooltip"] = chart.tooltip(folded=bool(transform))
    return _single({"type": "bar"}, encoding, transform)


def _line_or_area(mark: str) -> Any:
    def draw(chart: _Chart) -> Spec:
        transform, y, series = chart.measure()
        encoding: Spec = {"x": chart.continuous(chart.axes[0]), "y": y}
        if series:
            encoding["color"] = series
        encoding["tooltip"] = chart.tooltip(folded=bool(transform))
        if mark == "line":
            return _single({"type": "line", "point": True}, encoding, transform)
        stacked = chart.spec.options.stacked
        y["stack"] = "zero" if stacked else None
        return _single({"type": "area", "opacity": 1 if stacked else 0.5}, encoding, transform)

    return draw


def _pie(chart: _Chart) -> Spec:
    encoding = {
        "theta": {**chart.metric(chart.metrics[0]), "stack": True},
        "order": {**chart.metric(chart.metrics[0]), "sort": "descending"},  # largest first
        "color": chart.discrete(chart.axes[0]),
        "tooltip": chart.tooltip(),
    }
    mark: Spec = {"type": "arc"}
    if chart.spec.options.donut:
        mark["innerRadius"] = 60
    return {**_single(mark, encoding), "view": {"stroke": None}}


def _scatter(chart: _Chart) -> Spec:
    x, y = (chart.metric(m) for m in chart.metrics[:2])
    encoding: Spec = {"x": x, "y": y, "tooltip": chart.tooltip()}
    first = chart.axes[0]
    if chart.kind(first) == "nominal":
        encoding["color"] = chart.discrete(first)
    else:
        encoding["detail"] = chart.discrete(first)
    return _single({"type": "point", "filled": True}, encoding)


def _heatmap(chart: _Chart) -> Spec:
    encoding = {
        "x": chart.discrete(chart.axes[0]),
        "y": chart.discrete(chart.axes[1]),
        "color": chart.metric(chart.metrics[0]),
        "tooltip": chart.tooltip(),
    }
    return _single({"type": "rect"}, encoding)


#: Height of a big number with its trend line (pixels).
BIG_NUMBER_HEIGHT = 150


def _big_number(chart: _Chart) -> Spec:
    """The latest value in big letters; with a time axis, its trend as a line beneath, both
    in one view so that it fits the container's width."""
    metric = chart.metrics[0]
    last = [  # the last row: with a time axis, the latest
        {"window": [{"op": "row_number", "as": _ROW}]},
        {"joinaggregate": [{"op": "max", "field": _ROW, "as": _ROWS}]},
        {"filter": f"datum.{_ROW} === datum.{_ROWS}"},
    ]
    number: Spec = {
        "transform": last,
        "mark": {
            "type": "text",
            "fontSize": 48,
            "fontWeight": "bold",
            "align": "center",
            "baseline": "middle",
            "x": {"expr": "width / 2"},
            "y": 40,
            "tooltip": True,
        },
        "encoding": {"text": {**chart.metric(metric), "format": NUMBER_FORMAT}},
    }
    layers = [number]
    if chart.spec.time is not None:
        x = chart.continuous(chart.spec.time.column)
        trend_range = [{"expr": "height"}, 90]  # pixels: from the number down to the bottom
        layers.insert(
            0,
            {
                "mark": {"type": "line", "tooltip": True},
                "encoding": {
                    "x": {**x, "axis": None},
                    "y": {
                        **chart.metric(metric),
                        "axis": None,
                        "scale": {"zero": False, "range": trend_range},
                    },
                    "tooltip": chart.tooltip(),
                },
            },
        )
    return {
        "width": "container",
        "height": BIG_NUMBER_HEIGHT if chart.spec.time is not None else 80,
        "autosize": {"type": "fit", "contains": "padding"},
        "layer": layers,
        "config": {"view": {"stroke": None}},
    }


_DRAWERS = {
    ChartType.BAR: _bar,
    ChartType.LINE: _line_or_area("line"),
    ChartType.AREA: _line_or_area("area"),
    ChartType.PIE: _pie,
    ChartType.SCATTER: _scatter,
    ChartType.BIG_NUMBER: _big_number,
    ChartType.HEATMAP: _heatmap,
}
