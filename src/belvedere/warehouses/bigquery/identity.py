"""Credentials of the people behind BigQuery runs: a user's own grant (OAuth2 refresh token), or a
service account impersonated through the IAM Credentials API with the connection's credentials."""

from __future__ import annotations

from collections.abc import Sequence

from google.auth import impersonated_credentials
from google.auth.credentials import Credentials
from google.oauth2.credentials import Credentials as UserCredentials

from belvedere.warehouses.bigquery.clients import SCOPES, credentials_for
from belvedere.warehouses.bigquery.options import BigQueryOptions

#: What users grant Belvedere when they authorize BigQuery.
USER_SCOPES = ("https://www.googleapis.com/auth/bigquery", "openid", "email")
#: Lifetime of an impersonated access token (they are minted again when they expire).
IMPERSONATION_SECONDS = 3600


def user_credentials(
    refresh_token: str,
    *,
    token_url: str,
    client_id: str,
    client_secret: str | None,
    scopes: Sequence[str] = USER_SCOPES,
) -> Credentials:
    """A user's credentials: access tokens minted from their refresh token when needed."""
    return UserCredentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=refresh_token,
        token_uri=token_url,
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes),
    )


def impersonation_target(options: BigQueryOptions, email: str, groups: Sequence[str]) -> str | None:
    """The service account a user acts as: their own mapping, a group's, or the template's."""
    targets = options.impersonation_targets
    if f"user:{email}" in targets:
        return targets[f"user:{email}"]
    for group in groups:
        if f"group:{group}" in targets:
            return targets[f"group:{group}"]
    if options.impersonation_template:
        local = email.split("@", 1)[0]
        return options.impersonation_template.format(
            user=local, email=email, project=options.project
        )
    return None


def impersonated(options: BigQueryOptions, target: str, iam_base_url: str) -> Credentials:
    """Short-lived credentials of ``target``, minted with the connection's own credentials."""
    endpoint = (
        f"{iam_base_url.rstrip('/')}/v1/projects/-/serviceAccounts/{target}:generateAccessToken"
    )
    return impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
        source_credentials=credentials_for(options),
        target_principal=target,
        target_scopes=list(SCOPES),
        lifetime=IMPERSONATION_SECONDS,
        iam_endpoint_override=endpoint,
    )
