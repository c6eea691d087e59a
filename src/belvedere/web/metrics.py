"""``GET /metrics``: Prometheus text, for a scraper rather than a person (no session, no
CSRF); when ``BELVEDERE_METRICS_TOKEN`` is set, only with ``Authorization: Bearer <token>``."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from belvedere.web.deps import ServicesDep
from belvedere.web.errors import ApiError

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """This process's metrics and the installation's state, in Prometheus' text format."""
    token = services.settings.metrics_token
    if token is not None and not _bearer_matches(
        request.headers.get("authorization"), token.get_secret_value()
    ):
        raise ApiError(
            401,
            "metrics_token_required",
            "Send the metrics token: `Authorization: Bearer <BELVEDERE_METRICS_TOKEN>`.",
        )
    body = await services.pools.io.run(generate_latest, services.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _bearer_matches(header: str | None, token: str) -> bool:
    """Whether ``header`` is ``Bearer <token>`` (compared in constant time); never for an
    empty token (a variable set from a missing secret must not open the door)."""
    if not token:
        return False
    scheme, _, given = (header or "").partition(" ")
    matches = hmac.compare_digest(given.strip().encode(), token.encode())
    return scheme.lower() == "bearer" and matches
