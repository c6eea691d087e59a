"""The Google stand-in's constants: scopes, the default OAuth client, Google's own messages."""

from __future__ import annotations

BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery"
BIGQUERY_READONLY_SCOPE = "https://www.googleapis.com/auth/bigquery.readonly"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
CLOUD_PLATFORM_READONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
IAM_SCOPE = "https://www.googleapis.com/auth/iam"
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
        BIGQUERY_SCOPE,
        BIGQUERY_READONLY_SCOPE,
        CLOUD_PLATFORM_SCOPE,
        CLOUD_PLATFORM_READONLY_SCOPE,
        IAM_SCOPE,
        "https://www.googleapis.com/auth/devstorage.read_only",
        "https://www.googleapis.com/auth/drive.readonly",
    }
)
"""Scopes the authorization endpoint accepts (others: ``invalid_scope``, as Google answers)."""

CLIENT_ID = "belvedere-test.apps.googleusercontent.com"
"""The OAuth client registered from the start (any redirect URI; see :meth:`add_client`)."""
CLIENT_SECRET = "belvedere-test-secret"
PROJECT = "test-project"

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CODE_SECONDS = 600  # Google's authorization codes live about ten minutes
MAX_LIFETIME_SECONDS = 3600  # generateAccessToken's limit without the org-policy extension
GENERATE = ":generateAccessToken"
"""The suffix of IAM Credentials' generateAccessToken method on a service account."""

INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."
