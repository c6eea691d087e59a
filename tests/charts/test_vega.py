"""Vega-Lite specs of every chart type, drawn for real by vl-convert (SVG and PNG, offline)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import vl_convert

from belvedere.charts import render
from belvedere.charts.render import to_png, to_svg
from belvedere.charts.spec import ChartSpec
from belvedere.charts.vega import SCHEMA, vega_lite
from tests.support.images import colours_in, open_png

SOURCE = {"kind": "table", "table": "sales"}
MONTHS = [f"2024-{m:02d}-01T00:00:00" for m in range(1, 13)]
CATEGORIES = ["books", "games", "tools"]


def chart(**fields: Any) -> ChartSpec:
    return ChartSpec.model_validate({"source": SOURCE, **fields})


def rows_of(spec: ChartSpec) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Typed columns and rows for a spec's result, as ChartService hands them over."""
    types = {"month": "timestamp[us]", "category": "string", "region": "string"}
    columns = [(c, types.get(c, "double")) for c in spec.result_columns()]
    keys: list[dict[str, Any]] = [{}]
    for name in [*([spec.time.column] if spec.time else []), *spec.dimensions]:
        options = (
            MONTHS if name == "month" else CATEGORIES if name == "category" else ["north", "south"]
        )
        keys = [{**k, name: v} for k in keys for v in options]
    rows = [
        {**k, **{m.name: 10.0 + 7 * i + 3 * j for j, m in enumerate(spec.metrics)}}
        for i, k in enumerate(keys)
    ]
    return columns, rows


COUNT = {"agg": "count"}
TOTAL = {"agg": "sum", "column": "total"}
CHARTS = {
    "bar": {"type": "bar", "dimensions": ["category"], "metrics": [TOTAL]},
    "bar_grouped": {"type": "bar", "dimensions": ["category", "region"], "metrics": [TOTAL]},
    "bar_stacked": {
        "type": "bar",
        "dimensions": ["category", "region"],
        "metrics": [TOTAL],
        "options": {"stacked": True},
    },
    "bar_metrics": {"type": "bar", "dimensions": ["category"], "metrics": [TOTAL, COUNT]},
    "bar_by_month": {
        "type": "bar",
        "time": {"column": "month", "grain": "month"},
        "metrics": [COUNT],
    },
    "line": {
        "type": "line",
        "time": {"column": "month", "grain": "month"},
        "dimensions": ["region"],
        "metrics": [TOTAL],
    },
    "line_metrics": {
        "type": "line",
        "time": {"column": "month", "grain": "quarter"},
        "metrics": [TOTAL, COUNT],
    },
    "area": {
        "type": "area",
        "time": {"column": "month", "grain": "month"},
        "dimensions": ["category"],
        "metrics": [TOTAL],
    },
    "area_stacked": {
        "type": "area",
        "time": {"column": "month", "grain": "month"},
        "dimensions": ["category"],
        "metrics": [TOTAL],
        "options": {"stacked": True},
    },
    "pie": {"type": "pie", "dimensions": ["category"], "metrics": [TOTAL]},
    "donut": {
        "type": "pie",
        "dimensions": ["category"],
        "metrics": [TOTAL],
        "options": {"donut": True},
    },
    "scatter": {"type": "scatter", "dimensions": ["category"], "metrics": [TOTAL, COUNT]},
    "big_number": {"type": "big_number", "metrics": [TOTAL]},
    "big_number_trend": {
        "type": "big_number",
        "time": {"column": "month", "grain": "month"},
        "metrics": [TOTAL],
    },
    "heatmap": {"type": "heatmap", "dimensions": ["category", "region"], "metrics": [COUNT]},
}


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_type_draws(name: str) -> None:
    spec = chart(**CHARTS[name])
    columns, values = rows_of(spec)
    vl = vega_lite(spec, columns, values=values)
    assert vl is not None
    assert vl["$schema"] == SCHEMA
    assert vl["data"] == {"values": values}

    svg = to_svg(vl)
    marks = len(re.findall(r"<(?:path|rect|line|text)\b", svg))
    assert marks > (3 if name.startswith("big_number") else 8), svg[:500]
    if name.startswith("big_number"):
        last = values[-1][spec.metrics[0].name]
        assert f">{last:,.0f}<" in svg  # the last row's value, in big letters

    image = open_png(to_png(vl, scale=0.25, width=320))
    assert image.size > (60, 20)
    distinct, colourful = colours_in(image)
    assert distinct > 4  # not blank: marks and antialiased edges
    assert colourful > 0 or name.startswith("big_number")  # a big number is black on white


def test_browser_gets_a_named_dataset() -> None:
    spec = chart(type="bar", dimensions=["category"], metrics=[TOTAL], options={"title": "Sales"})
    vl = vega_lite(spec)
    assert vl is not None
    assert vl["data"] == {"name": "rows"}
    assert vl["title"] == "Sales"
    assert vl["width"] == "container"
    assert vl["mark"]["tooltip"] is True
    assert [t["title"] for t in vl["encoding"]["tooltip"]] == ["category", "sum_total"]
    assert vl["encoding"]["x"]["sort"] is None  # the SQL's order (by the metric)


@pytest.mark.parametrize("kind", ["table", "pivot"])
def test_tables_are_html(kind: str) -> None:
    dimensions = ["category"] if kind == "pivot" else []
    metrics = [COUNT] if kind == "pivot" else []
    assert vega_lite(chart(type=kind, dimensions=dimensions, metrics=metrics)) is None


@pytest.mark.parametrize(
    ("arrow", "kind", "unit"),
    [
        ("date32[day]", "temporal", "utcyearmonth"),
        ("timestamp[us]", "temporal", "yearmonth"),
        ("timestamp[us, tz=UTC]", "temporal", "utcyearmonth"),
        (None, "temporal", "yearmonth"),
    ],
)
def test_time_axis_types(arrow: str | None, kind: str, unit: str) -> None:
    spec = chart(type="line", time={"column": "d", "grain": "month"}, metrics=[COUNT])
    columns = None if arrow is None else [("d", arrow), ("count", "int64")]
    vl = vega_lite(spec, columns)
    assert vl is not None
    assert (vl["encoding"]["x"]["type"], vl["encoding"]["x"]["timeUnit"]) == (kind, unit)


@pytest.mark.parametrize(
    ("arrow", "kind"),
    [
        ("int64", "quantitative"),
        ("uint8", "quantitative"),
        ("double", "quantitative"),
        ("decimal128(18, 2)", "quantitative"),
        ("string", "nominal"),
        ("bool", "nominal"),
        ("date32[day]", "temporal"),
        ("timestamp[us, tz=UTC]", "temporal"),
    ],
)
def test_field_types_from_arrow(arrow: str, kind: str) -> None:
    spec = chart(type="scatter", dimensions=["d"], metrics=[COUNT, TOTAL])
    vl = vega_lite(spec, [("d", arrow), ("count", "int64"), ("sum_total", "double")])
    assert vl is not None
    [tip] = [t for t in vl["encoding"]["tooltip"] if t["title"] == "d"]
    assert tip["type"] == kind


def test_names_with_dots_and_brackets_are_fields_not_paths() -> None:
    spec = chart(type="bar", dimensions=["a.b"], metrics=[{"agg": "count", "label": "n[0]"}])
    values = [{"a.b": "x", "n[0]": 3}, {"a.b": "y", "n[0]": 5}]
    vl = vega_lite(spec, [("a.b", "string"), ("n[0]", "int64")], values=values)
    assert vl is not None
    assert vl["encoding"]["x"]["field"] == "a\\.b"
    assert vl["encoding"]["y"]["title"] == "n[0]"
    scene = vl_convert.vegalite_to_scenegraph(render._sized(vl, 200))
    bars = [  # the bars' colour is the theme's (config), not the item's
        item for item in _items(scene) if "width" in item and item.get("fill") != "transparent"
    ]
    assert len(bars) == 2
    assert all(bar["height"] > 0 for bar in bars)  # "n[0]" read as a path: no height
    assert bars[0]["x"] != bars[1]["x"]  # "a.b" read as a path: both bars in one place


def _items(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if "x" in node and "y" in node:
            found.append(node)
        for value in node.values():
            found += _items(value)
    elif isinstance(node, list):
        for value in node:
            found += _items(value)
    return found


def test_render_is_offline_and_sized() -> None:
    assert render.VEGA_LITE_VERSION in vl_convert.get_vegalite_versions()
    assert SCHEMA.endswith(f"/v{render.VEGA_LITE_VERSION.split('.')[0]}.json")
    url = {"$schema": SCHEMA, "data": {"url": "https://example.com/rows.csv"}, "mark": "bar"}
    with pytest.raises(ValueError, match="not allowed"):
        to_svg(url)
    local = {**url, "data": {"url": "/etc/passwd"}}
    with pytest.raises(ValueError, match="not allowed"):
        to_svg(local)
    spec = chart(type="bar", dimensions=["category"], metrics=[TOTAL])
    columns, values = rows_of(spec)
    vl = vega_lite(spec, columns, values=values)
    assert vl is not None
    assert 'width="500"' in to_svg(vl, width=500)
