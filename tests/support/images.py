"""What a picture shows, enough to tell a drawn chart from a blank canvas (Pillow)."""

from __future__ import annotations

import io
from collections.abc import Mapping

from PIL import Image


def open_png(png: bytes) -> Image.Image:
    """A PNG as an RGB image (refuses anything that is not a PNG)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return Image.open(io.BytesIO(png)).convert("RGB")


def colours_in(image: Image.Image, box: Mapping[str, float] | None = None) -> tuple[int, int]:
    """In the image, or a box of it ({x, y, width, height}): how many distinct colours, and how
    many colourful pixels (a chart's marks; text, axes and backgrounds are grey)."""
    if box is not None:
        left, top = max(round(box["x"]), 0), max(round(box["y"]), 0)
        right = min(left + int(box["width"]), image.width)
        bottom = min(top + int(box["height"]), image.height)
        image = image.crop((left, top, right, bottom))
    raw = image.tobytes()
    pixels = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    colourful = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)
    return len(set(pixels)), colourful
