"""Vega-Lite specs drawn on the server as SVG or PNG, with vl-convert (offline).

vl-convert bundles Vega and Vega-Lite and draws text with the host's fonts (and a bundled
fallback); it loads no URL here: data must be inline, and any URL a spec names is refused.
A ``"container"`` width, which only a browser can measure, becomes :data:`WIDTH` pixels.
"""

from __future__ import annotations

from typing import Any

#: The Vega-Lite version drawn, as vl-convert names it (the browser's is also 6.x).
VEGA_LITE_VERSION = "6.4"
#: Pixels wide of a chart whose width follows its container in the browser.
WIDTH = 640


def to_svg(vl_spec: dict[str, Any], *, width: int = WIDTH) -> str:
    """The chart as an SVG document."""
    # Imported on the first drawing: vl-convert's JavaScript engine costs a server about 8 MB
    # of memory, which one that draws no images never needs.
    import vl_convert

    return vl_convert.vegalite_to_svg(
        _sized(vl_spec, width), vl_version=VEGA_LITE_VERSION, allowed_base_urls=[]
    )


def to_png(vl_spec: dict[str, Any], scale: float = 2, *, width: int = WIDTH) -> bytes:
    """The chart as a PNG image, ``scale`` pixels per SVG pixel."""
    import vl_convert

    return vl_convert.vegalite_to_png(
        _sized(vl_spec, width), vl_version=VEGA_LITE_VERSION, scale=scale, allowed_base_urls=[]
    )


def _sized(spec: dict[str, Any], width: int) -> dict[str, Any]:
    """``spec`` with each ``"container"`` width (of it or its concatenated views) fixed."""
    out = dict(spec)
    if out.get("width") == "container":
        out["width"] = width
    for key in ("vconcat", "hconcat", "concat", "layer"):
        if isinstance(out.get(key), list):
            out[key] = [
                _sized(view, width) if isinstance(view, dict) else view for view in out[key]
            ]
    return out
