"""A stand-in for Google's OAuth2, OpenID Connect and IAM Credentials endpoints, on loopback.

One Starlette app (:mod:`.app`, served by uvicorn on a loop thread) that records every request
and answers in Google's shapes, one module per endpoint family:

- :mod:`.authorize`: the authorization endpoint (client, redirect URI, scopes, ``state``, PKCE
  ``S256``; signs in the user the test chose);
- :mod:`.token`: the token endpoint (authorization code with PKCE, refresh, JWT-bearer grant of
  service-account keys);
- :mod:`.iam`: IAM Credentials' generateAccessToken (impersonation, refusals);
- :mod:`.openid`: discovery, JWKS and PEM certificates, userinfo, revocation.

:class:`GoogleService` (:mod:`.service`) is what tests hold: URLs, knobs, tokens, recordings.
"""

from tests.support.google.app import google_service
from tests.support.google.authorize import pkce_pair, s256
from tests.support.google.constants import (
    BIGQUERY_READONLY_SCOPE,
    BIGQUERY_SCOPE,
    CLIENT_ID,
    CLIENT_SECRET,
    CLOUD_PLATFORM_READONLY_SCOPE,
    CLOUD_PLATFORM_SCOPE,
    IAM_SCOPE,
    INSUFFICIENT_SCOPES,
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    PROJECT,
)
from tests.support.google.keys import service_account_key
from tests.support.google.records import (
    AccessToken,
    GoogleRequest,
    Impersonation,
    RefreshToken,
    service_account_principal,
    user_principal,
)
from tests.support.google.service import GoogleService

__all__ = [
    "BIGQUERY_READONLY_SCOPE",
    "BIGQUERY_SCOPE",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CLOUD_PLATFORM_READONLY_SCOPE",
    "CLOUD_PLATFORM_SCOPE",
    "IAM_SCOPE",
    "INSUFFICIENT_SCOPES",
    "INVALID_CREDENTIALS",
    "MISSING_CREDENTIALS",
    "PROJECT",
    "AccessToken",
    "GoogleRequest",
    "GoogleService",
    "Impersonation",
    "RefreshToken",
    "google_service",
    "pkce_pair",
    "s256",
    "service_account_key",
    "service_account_principal",
    "user_principal",
]
