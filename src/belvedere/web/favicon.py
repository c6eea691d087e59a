"""Belvedere's icon: a small SVG of our own (a lookout tower over three bars), linked from every
page as ``/favicon.svg`` and also answered at ``/favicon.ico``, which browsers ask for on their
own (an SVG there too: every current browser reads it by its type)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)

#: The icon: a rounded square in the accent colour, a tower's roof and three bars of a chart.
FAVICON_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#2f6feb"/>
<path d="M16 5 25 11H7Z" fill="#fff"/>
<rect x="8" y="17" width="4" height="9" rx="1" fill="#fff"/>
<rect x="14" y="13" width="4" height="13" rx="1" fill="#fff"/>
<rect x="20" y="19" width="4" height="7" rx="1" fill="#fff"/>
</svg>
"""
#: Browsers may keep it a day.
CACHE = "public, max-age=86400"


def _icon() -> Response:
    return Response(FAVICON_SVG, media_type="image/svg+xml", headers={"cache-control": CACHE})


@router.get("/favicon.svg")
async def favicon_svg() -> Response:
    """The icon every page links."""
    return _icon()


@router.get("/favicon.ico")
async def favicon_ico() -> Response:
    """The icon, where browsers look for it unasked."""
    return _icon()
