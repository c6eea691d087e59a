"""The chart theme: palette, SI number formats and x labels level unless they collide, drawn
for real by vl-convert (what PNG/SVG exports and e-mails show)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from belvedere.charts import theme
from belvedere.charts.render import to_svg
from belvedere.charts.spec import ChartSpec
from belvedere.charts.vega import vega_lite

SOURCE = {"kind": "table", "table": "sales"}
TOTAL = {"agg": "sum", "column": "total"}


def drawn(spec: dict[str, Any], values: list[dict[str, Any]], width: int = 640) -> str:
    chart = ChartSpec.model_validate({"source": SOURCE, **spec})
    names = {k for row in values for k in row}
    columns = [(n, "string" if isinstance(values[0][n], str) else "double") for n in names]
    vl = vega_lite(chart, columns, values=values)
    assert vl is not None
    return to_svg(vl, width=width)


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


REGIONS = [
    {"region": r, "sum_total": v} for r, v in zip("NSEW", [160e6, 120e6, 95e6, 40e6], strict=True)
]


def test_axes_tooltips_and_big_numbers_are_si() -> None:
    svg = drawn({"type": "bar", "dimensions": ["region"], "metrics": [TOTAL]}, REGIONS)
    assert "160M" in texts(svg)
    assert not [t for t in texts(svg) if "000,000" in t or "e+" in t]
    assert _tooltip_texts([160e6, 21166400.86, 2.5e9, 0.25, 0, None]) == [
        "160M",
        "21.17M",
        "2.5B",
        "0.25",
        "0",
    ]  # and nothing (no "NaN") for a missing value

    billions = [{"region": "N", "sum_total": 2.5e9}, {"region": "S", "sum_total": 1e9}]
    svg = drawn({"type": "bar", "dimensions": ["region"], "metrics": [TOTAL]}, billions)
    assert "2.5B" in texts(svg)  # B, not d3's G
    assert not [t for t in texts(svg) if t.endswith("G")]

    big = drawn({"type": "big_number", "metrics": [TOTAL]}, [{"sum_total": 21166400.86}])
    assert "21.2M" in texts(big)

    small = [{"region": "N", "sum_total": 0.25}, {"region": "S", "sum_total": 0.5}]
    svg = drawn({"type": "bar", "dimensions": ["region"], "metrics": [TOTAL]}, small)
    assert "0.5" in texts(svg)
    assert not [t for t in texts(svg) if t.endswith("m")]  # no milli-anything


def _tooltip_texts(numbers: list[float | None]) -> list[str]:
    """What a bar chart's tooltip writes for each of ``numbers`` (drawn as text marks)."""
    chart = ChartSpec.model_validate(
        {"source": SOURCE, "type": "bar", "dimensions": ["region"], "metrics": [TOTAL]}
    )
    vl = vega_lite(chart)
    assert vl is not None
    [tip] = [t for t in vl["encoding"]["tooltip"] if t["title"] == "sum_total"]
    values = [{"i": i, "sum_total": n} for i, n in enumerate(numbers)]
    spec = {
        "data": {"values": values},
        "transform": vl["transform"],
        "mark": {"type": "text", "fontSize": 17},
        "encoding": {"text": {"field": tip["field"]}, "y": {"field": "i", "type": "ordinal"}},
    }
    return re.findall(r'<text[^>]*font-size="17px"[^>]*>([^<]*)</text>', to_svg(spec))


def test_series_take_the_colour_blind_safe_palette() -> None:
    values = [
        {"region": r, "channel": c, "sum_total": 10.0 + i}
        for i, (r, c) in enumerate((r, c) for r in "NS" for c in ("web", "shop", "phone"))
    ]
    spec = {"type": "bar", "dimensions": ["region", "channel"], "metrics": [TOTAL]}
    svg = drawn(spec, values)
    fills = set(re.findall(r'aria-roledescription="bar"[^>]*fill="(#[0-9A-Fa-f]{6})"', svg))
    assert {f.lower() for f in fills} == {c.lower() for c in theme.PALETTE[:3]}
    assert ">channel<" in svg  # a titled legend
    assert theme.config()["range"]["category"] == theme.PALETTE


def _angles(svg: str) -> set[str]:
    labels = re.findall(r'rotate\((-?\d+)\) translate\(0,[^)]*\)"[^>]*font-size="11px"', svg)
    return set(labels)


def test_four_short_labels_stay_level_and_many_long_ones_tilt() -> None:
    spec = {"type": "bar", "dimensions": ["region"], "metrics": [TOTAL]}
    assert _angles(drawn(spec, REGIONS)) == set()

    many = [{"region": f"region number {i}", "sum_total": float(i)} for i in range(30)]
    assert _angles(drawn(spec, many)) == {"-45"}
    # the same labels level again on a chart wide enough for them
    assert _angles(drawn(spec, many[:3], width=640)) == set()


@pytest.mark.parametrize(
    ("labels", "width", "tilted"),
    [
        (["N", "S", "E", "W"], 300, False),
        (["north", "south", "east", "west"], 640, False),
        (["a much longer label"] * 20, 640, True),
    ],
)
def test_the_tilt_follows_count_and_longest_label(
    labels: list[str], width: int, tilted: bool
) -> None:
    expr = theme.tilt(labels)["labelAngle"]["expr"]
    threshold = eval(expr.split("<", 1)[1].split("?")[0])  # "width < 4 * 38 ? -45 : 0"
    assert (width < threshold) is tilted


def test_one_theme_for_every_drawing() -> None:
    for kind in ("bar", "pie"):
        chart = ChartSpec.model_validate(
            {"source": SOURCE, "type": kind, "dimensions": ["region"], "metrics": [TOTAL]}
        )
        vl = vega_lite(chart)
        assert vl is not None
        assert vl["config"]["range"]["category"] == theme.PALETTE
        assert "~s" in vl["config"]["axisQuantitative"]["labelExpr"]


def test_byte_counts_are_written_in_bytes_not_si() -> None:
    """Spend charts count bytes: "1.5 GB", never "1.61B" (which reads as bytes anyway)."""
    spec = {
        "type": "bar",
        "dimensions": ["region"],
        "metrics": [TOTAL],
        "options": {"unit": "bytes"},
    }
    values = [{"region": "N", "sum_total": 1.5 * 1024**3}, {"region": "S", "sum_total": 512.0}]
    shown = texts(drawn(spec, values))
    assert [t for t in shown if t.endswith(" GB")], shown
    assert not [t for t in shown if re.search(r"\d[kMGB]$", t)], shown
