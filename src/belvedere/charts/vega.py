"""A chart spec as a Vega-Lite (v6) spec over its result rows.

The rows are the named dataset ``rows`` (the browser passes them) or inline values (drawing on
the server). Column types come from the family (``warehouses/families.py``) of the result's
Arrow type names when known (``int64``, ``date32[day]``, ``timestamp[us, tz=UTC]``...), else
from the column's role in the spec. Dates and zoned timestamps are drawn in UTC (browsers
read ``2024-01-01`` as UTC midnight), naive timestamps in local time (read as local). Tables
and pivots are HTML, not Vega-Lite: ``None``. How it looks (palette, number formats, axes,
legends) is :mod:`belvedere.charts.theme`'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from belvedere.charts import theme
from belvedere.charts.spec import ChartSpec, ChartType, Grain
from belvedere.warehouses.families import Family, of_type_name

#: The Vega-Lite major version both vl-convert (server) and the npm package (browser) draw.
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

_TIME_UNITS = {
    Grain.HOUR: "yearmonthdatehours",
    Grain.DAY: "yearmonthdate",
    Grain.WEEK: "yearmonthdate",  # Vega's weeks start on Sunday; ours on Monday
    Grain.MONTH: "yearmonth",
    Grain.QUARTER: "yearquarter",
    Grain.YEAR: "year",
}
#: Characters of a time axis's labels at each grain ("Jan 2024", "Q1 2024"...).
_TIME_LABEL_CHARS = {
    Grain.HOUR: 18,
    Grain.DAY: 12,
    Grain.WEEK: 12,
    Grain.MONTH: 8,
    Grain.QUARTER: 7,
    Grain.YEAR: 4,
}
# Names of fields of our own (folded metrics, the big number's row): unlikely column names.
_SERIES, _VALUE, _ROW, _ROWS = "__series", "__value", "__row", "__rows"
_TEXT = "__text"  # prefix of a number written for people (tooltips, the big number)

Spec = dict[str, Any]


def vega_lite(
    spec: ChartSpec,
    columns: Sequence[tuple[str, str]] | None = None,
    *,
    values: list[dict[str, Any]] | None = None,
    rows: Sequence[Sequence[Any]] | None = None,
) -> Spec | None:
    """The Vega-Lite spec of ``spec``'s chart; ``None`` for tables and pivots.

    ``columns``: (name, Arrow type name) of the result's columns. ``values``: the rows inline,
    else the data is the named dataset ``rows``; ``rows`` (in ``columns``' order), when the
    data is not inline: read for the length of the x axis's labels only.
    """
    draw = _DRAWERS.get(spec.type)
    if draw is None:
        return None
    chart = _Chart(spec, dict(columns or ()))
    chart.labels = _x_labels(chart, [name for name, _ in columns or ()], values, rows)
    out: Spec = {"$schema": SCHEMA}
    if spec.options.title:
        out["title"] = spec.options.title
    out["data"] = {"name": "rows"} if values is None else {"values": values}
    out.update(draw(chart))
    out["config"] = {**theme.config(spec.options.unit), **out.get("config", {})}
    out["usermeta"] = theme.usermeta()
    return out


def _x_labels(
    chart: _Chart,
    names: list[str],
    values: list[dict[str, Any]] | None,
    rows: Sequence[Sequence[Any]] | None,
) -> list[str] | None:
    """The distinct labels along x of a chart of categories, when the rows are known."""
    if not chart.axes or chart.is_time(chart.axes[0]):
        return None
    first = chart.axes[0]
    if values is not None:
        found = [row.get(first) for row in values]
    elif rows is not None and first in names:
        at = names.index(first)
        found = [row[at] for row in rows]
    else:
        return None
    return list(dict.fromkeys("null" if v is None else str(v) for v in found))


class _Chart:
    """A spec, its result columns' types, and the encodings every drawing shares."""

    def __init__(self, spec: ChartSpec, types: dict[str, str]) -> None:
        self.spec = spec
        self.types = types
        self.axes = ([spec.time.column] if spec.time else []) + list(spec.dimensions)
        self.metrics = [m.name for m in spec.metrics]
        self.labels: list[str] | None = None
        """The x axis's labels, when known (they decide whether they tilt)."""

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

    def x_axis(self) -> Spec:
        """The axis of a band x: labels level unless they would collide."""
        first = self.axes[0]
        chars = _TIME_LABEL_CHARS[self.spec.time.grain] if self.spec.time else None
        labels = None if self.is_time(first) else self.labels
        return theme.tilt(labels, max_chars=chars)

    def tooltip(self, folded: bool = False) -> tuple[list[Spec], list[Spec]]:
        """Every dimension and metric (or the folded series and value) of a row, numbers
        written as people read them: the transforms writing them, and the tooltip."""
        tips = [self._time_unit(a, _encoding(a, self.kind(a))) for a in self.axes]
        shown = [(_VALUE, "value")] if folded else [(m, m) for m in self.metrics]
        if folded:
            tips.append(_encoding(_SERIES, "nominal", title="metric"))
        calculate = []
        for i, (name, title) in enumerate(shown):
            text = f"{_TEXT}{i}"
            number = theme.number(theme.datum(name), self.spec.options.unit, 4)
            calculate.append({"calculate": number, "as": text})
            tips.append({"field": text, "type": "nominal", "title": title})
        return calculate, tips


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
    encoding: Spec = {"x": {**chart.discrete(chart.axes[0]), "axis": chart.x_axis()}, "y": y}
    mark: Spec = {"type": "bar", "width": theme.bar_width()}
    if series:
        encoding["color"] = series
        if not chart.spec.options.stacked:
            encoding["xOffset"] = {k: v for k, v in series.items() if k != "title"}
            y["stack"] = None
            mark = {"type": "bar", "width": theme.bar_width("xOffset")}  # side by side
    if not chart.spec.options.stacked:
        mark["cornerRadiusEnd"] = 2
    calculate, encoding["tooltip"] = chart.tooltip(folded=bool(transform))
    return _single(mark, encoding, transform + calculate)


def _line_or_area(mark: str) -> Any:
    def draw(chart: _Chart) -> Spec:
        transform, y, series = chart.measure()
        encoding: Spec = {"x": chart.continuous(chart.axes[0]), "y": y}
        if series:
            encoding["color"] = series
        calculate, encoding["tooltip"] = chart.tooltip(folded=bool(transform))
        if mark == "line":
            return _single({"type": "line", "point": True}, encoding, transform + calculate)
        stacked = chart.spec.options.stacked
        y["stack"] = "zero" if stacked else None
        area = {"type": "area", "opacity": 0.85 if stacked else 0.4, "line": not stacked}
        return _single(area, encoding, transform + calculate)

    return draw


def _pie(chart: _Chart) -> Spec:
    calculate, tooltip = chart.tooltip()
    encoding = {
        "theta": {**chart.metric(chart.metrics[0]), "stack": True},
        "order": {**chart.metric(chart.metrics[0]), "sort": "descending"},  # largest first
        "color": {**chart.discrete(chart.axes[0]), "legend": {"orient": "right", "columns": 1}},
        "tooltip": tooltip,
    }
    mark: Spec = {"type": "arc"}
    if chart.spec.options.donut:
        mark["innerRadius"] = 60
    return {**_single(mark, encoding, calculate), "view": {"stroke": None}}


def _scatter(chart: _Chart) -> Spec:
    x, y = (chart.metric(m) for m in chart.metrics[:2])
    calculate, tooltip = chart.tooltip()
    encoding: Spec = {"x": x, "y": y, "tooltip": tooltip}
    first = chart.axes[0]
    if chart.kind(first) == "nominal":
        encoding["color"] = chart.discrete(first)
    else:
        encoding["detail"] = chart.discrete(first)
    return _single({"type": "point", "filled": True}, encoding, calculate)


def _heatmap(chart: _Chart) -> Spec:
    calculate, tooltip = chart.tooltip()
    labels = theme.number("datum.value", chart.spec.options.unit)
    legend = {"orient": "right", "direction": "vertical", "labelExpr": labels}
    encoding = {
        "x": {**chart.discrete(chart.axes[0]), "axis": chart.x_axis()},
        "y": chart.discrete(chart.axes[1]),
        "color": {**chart.metric(chart.metrics[0]), "legend": legend},
        "tooltip": tooltip,
    }
    return _single({"type": "rect"}, encoding, calculate)


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
        {"calculate": theme.number(theme.datum(metric), chart.spec.options.unit), "as": _TEXT},
    ]
    calculate, tooltip = chart.tooltip()
    number: Spec = {
        "transform": [*last, *calculate],
        "mark": {
            "type": "text",
            "fontSize": 48,
            "fontWeight": "bold",
            "align": "center",
            "baseline": "middle",
            "x": {"expr": "width / 2"},
            "y": 40,
        },
        "encoding": {
            "text": {"field": _TEXT, "type": "nominal", "title": metric},
            "tooltip": tooltip,
        },
    }
    layers = [number]
    if chart.spec.time is not None:
        x = chart.continuous(chart.spec.time.column)
        trend_range = [{"expr": "height"}, 90]  # pixels: from the number down to the bottom
        layers.insert(
            0,
            {
                "transform": calculate,
                "mark": {"type": "line"},
                "encoding": {
                    "x": {**x, "axis": None},
                    "y": {
                        **chart.metric(metric),
                        "axis": None,
                        "scale": {"zero": False, "range": trend_range},
                    },
                    "tooltip": tooltip,
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
