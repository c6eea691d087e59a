"""The stand-in's IAM Credentials API:
``POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken``.

The caller's bearer token must be valid and carry the IAM or cloud-platform scope; any
``*.gserviceaccount.com`` target gets a token unless the test refused it
(:meth:`~tests.support.google.service.GoogleService.deny_impersonation`), with Google's 403.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.support.google.answers import api_error, bearer
from tests.support.google.constants import (
    CLOUD_PLATFORM_SCOPE,
    GENERATE,
    IAM_SCOPE,
    INSUFFICIENT_SCOPES,
    INVALID_CREDENTIALS,
    MAX_LIFETIME_SECONDS,
    MISSING_CREDENTIALS,
)
from tests.support.google.records import AccessToken, Impersonation, service_account_principal
from tests.support.google.service import GoogleService

_LIFETIME = re.compile(r"^(\d+(?:\.\d+)?)s$")
_DENIED_DETAILS = [
    {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "IAM_PERMISSION_DENIED",
        "domain": "iam.googleapis.com",
        "metadata": {"permission": "iam.serviceAccounts.getAccessToken"},
    }
]


class _Refused(Exception):
    def __init__(self, answer: Response) -> None:
        self.answer = answer


async def generate_access_token(service: GoogleService, request: Request) -> Response:
    """Mint a token for the service account in the path, as the caller's token allows."""
    name = request.path_params["name"]
    if not name.endswith(GENERATE):
        return api_error(404, "NOT_FOUND", f"Method not found: {name}")
    target = name.removesuffix(GENERATE)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return api_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    with service.lock:
        try:
            caller = _caller(service, bearer(request))
            scopes, lifetime, seconds = _asked(body)
        except _Refused as refused:
            return refused.answer
        if not target.endswith(".gserviceaccount.com"):
            return api_error(404, "NOT_FOUND", f"Gaia id not found for email {target}")
        refusals = service.state.denied
        denied = (None, target) in refusals or (caller.principal, target) in refusals
        record = Impersonation(
            caller=caller.principal,
            target=target,
            scopes=scopes,
            lifetime=lifetime,
            status=403 if denied else 200,
            token=None,
        )
        service.state.impersonations.append(record)
        if denied:
            return api_error(
                403,
                "PERMISSION_DENIED",
                "Permission 'iam.serviceAccounts.getAccessToken' denied on resource "
                "(or it may not exist).",
                details=_DENIED_DETAILS,
            )
        access = service.new_access(
            service_account_principal(target),
            scopes,
            "impersonated",
            seconds=int(min(seconds, service.state.access_token_seconds)),
        )
        record.token = access.token
    expire = datetime.fromtimestamp(int(access.expires_at), UTC)
    return JSONResponse(
        {"accessToken": access.token, "expireTime": expire.strftime("%Y-%m-%dT%H:%M:%SZ")}
    )


def _caller(service: GoogleService, token: str | None) -> AccessToken:
    """The valid token of the caller, with a scope that allows impersonation."""
    if token is None:
        raise _Refused(api_error(401, "UNAUTHENTICATED", MISSING_CREDENTIALS))
    caller = service.state.access.get(token)
    if caller is None or not caller.valid:
        raise _Refused(api_error(401, "UNAUTHENTICATED", INVALID_CREDENTIALS))
    if not {IAM_SCOPE, CLOUD_PLATFORM_SCOPE} & set(caller.scopes):
        raise _Refused(api_error(403, "PERMISSION_DENIED", INSUFFICIENT_SCOPES))
    return caller


def _asked(body: Any) -> tuple[tuple[str, ...], str | None, float]:
    """The scopes, the lifetime as given, and the lifetime in seconds."""
    scopes = body.get("scope") if isinstance(body, dict) else None
    if not scopes or not isinstance(scopes, list):
        raise _Refused(api_error(400, "INVALID_ARGUMENT", "Scope required."))
    lifetime = body.get("lifetime")
    if lifetime is None:
        return tuple(scopes), None, float(MAX_LIFETIME_SECONDS)
    match = _LIFETIME.match(str(lifetime))
    if match is None or not 0 < float(match.group(1)) <= MAX_LIFETIME_SECONDS:
        raise _Refused(
            api_error(
                400,
                "INVALID_ARGUMENT",
                "The lifetime requested must be a duration between 1s and 3600s.",
            )
        )
    return tuple(scopes), str(lifetime), float(match.group(1))
