"""Google's OAuth2 token endpoint for service-account keys, on loopback: now part of the Google
stand-in (``tests/support/google.py``), which answers the JWT-bearer grant that keys make
(RFC 7523) and records each grant. This module keeps the older names working."""

from __future__ import annotations

from tests.support.google import GoogleService, google_service, service_account_key

TokenService = GoogleService
"""``url``, ``token_uri``, ``grants`` (claims of each JWT assertion, with the token handed out
under ``token``) and ``tokens()``, as before."""

token_service = google_service
"""Run the service until the block ends."""

__all__ = ["TokenService", "service_account_key", "token_service"]
