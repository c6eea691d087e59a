"""``GET /schedule-images/{token}.png``: a webhook report's chart, for whoever holds the link
(a chat service fetching it): no sign-in, the unguessable token is the credential, and it
expires (``BELVEDERE_SCHEDULE_IMAGE_TTL_HOURS``)."""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Response

from belvedere.web.deps import ServicesDep

router = APIRouter(tags=["schedules"])


@router.get("/schedule-images/{token}.png", include_in_schema=False)
async def schedule_image(token: str, services: ServicesDep) -> Response:
    """The PNG behind ``token``; 404 when the link is unknown or has expired."""
    found = await services.pools.io.run(services.schedule_images.find, token)
    if found is None:
        raise HTTPException(404, "This image link is unknown or has expired.")
    return Response(
        found.png,
        media_type="image/png",
        headers={
            "Cache-Control": f"private, max-age={max(0, math.floor(found.seconds_left))}",
            "X-Content-Type-Options": "nosniff",
        },
    )
