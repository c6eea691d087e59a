"""Credentials of the people behind BigQuery runs: a user's own grant (OAuth2 refresh token), or a
service account impersonated through the IAM Credentials API with the connection's credentials.
:class:`BigQueryIdentity` is BigQuery's :class:`~belvedere.warehouses.base.PerUserIdentity`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from google.auth import exceptions as auth_errors
from google.auth import impersonated_credentials
from google.auth.credentials import Credentials
from google.oauth2.credentials import Credentials as UserCredentials
from pydantic import BaseModel

from belvedere.identity.principal import IdentityError
from belvedere.warehouses.base import IdentityMode, Impersonation, UserAuthorization
from belvedere.warehouses.bigquery.clients import SCOPES, cap_token_lifetime, credentials_for
from belvedere.warehouses.bigquery.options import BigQueryOptions, template_fields
from belvedere.warehouses.errors import ErrorKind, WarehouseError

if TYPE_CHECKING:
    from belvedere.settings import Settings

#: What users grant Belvedere when they authorize BigQuery.
USER_SCOPES = ("https://www.googleapis.com/auth/bigquery", "openid", "email")
#: Google's parameters that ask for a refresh token (offline access), every time.
OFFLINE_ACCESS = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
#: Lifetime of an impersonated access token (they are minted again when they expire).
IMPERSONATION_SECONDS = 3600
#: ``identity`` option values as modes.
MODES = {
    "service_account": IdentityMode.CONNECTION,
    "user_oauth": IdentityMode.USER_GRANT,
    "impersonation": IdentityMode.IMPERSONATION,
}


def _options(options: BaseModel) -> BigQueryOptions:
    if not isinstance(options, BigQueryOptions):
        raise TypeError(f"not BigQuery options: {type(options).__name__}")
    return options


class BigQueryIdentity:
    """Per-user identity on BigQuery: users' Google grants, or service accounts impersonated
    for them; Google's endpoints are Belvedere's settings, so tests point them elsewhere."""

    identity_modes: ClassVar[frozenset[IdentityMode]] = frozenset(IdentityMode)
    identity_provider: ClassVar[str] = "Google"

    @classmethod
    def identity_mode(cls, options: BaseModel) -> IdentityMode:
        return MODES[_options(options).identity]

    @classmethod
    def user_authorization(cls, options: BaseModel, settings: Settings) -> UserAuthorization:
        """Google's consent for BigQuery, through the connection's OAuth client or else the
        sign-in client."""
        own = _options(options)
        client_id = own.oauth_client_id or settings.oidc_client_id
        if not client_id:
            raise IdentityError(
                "No OAuth client for users' authorizations: set the connection's "
                "oauth_client_id or BELVEDERE_OIDC_CLIENT_ID."
            )
        secret = own.oauth_client_secret or settings.oidc_client_secret
        return UserAuthorization(
            authorize_url=settings.google_oauth_authorize_url,
            token_url=settings.google_oauth_token_url,
            client_id=client_id,
            client_secret=secret.get_secret_value() if secret is not None else None,
            scopes=USER_SCOPES,
            params=OFFLINE_ACCESS,
        )

    @classmethod
    def grant_credentials(
        cls, grant: Mapping[str, Any], options: BaseModel, settings: Settings
    ) -> Callable[[], Any]:
        client = cls.user_authorization(options, settings)
        return _short_lived(
            lambda: user_credentials(
                grant["refresh_token"],
                token_url=client.token_url,
                client_id=client.client_id,
                client_secret=client.client_secret,
            ),
            settings,
        )

    @classmethod
    def grant_name(cls, email: str) -> str:
        return f"user:{email}"

    @classmethod
    def impersonation(
        cls,
        options: BaseModel,
        email: str | None,
        groups: Sequence[str],
        connection: str,
        settings: Settings,
    ) -> Impersonation:
        own = _options(options)
        target = impersonation_target(own, email, groups, connection)
        return Impersonation(
            target=target,
            name=f"serviceAccount:{target}",
            credentials=_short_lived(
                lambda: impersonated(own, target, settings.google_iam_credentials_url), settings
            ),
        )


def _short_lived(make: Callable[[], Credentials], settings: Settings) -> Callable[[], Credentials]:
    """Credentials whose access tokens are reused no longer than the configured token
    lifetime (``BELVEDERE_IDENTITY_TOKEN_TTL_SECONDS``)."""
    ttl = settings.identity_token_ttl_seconds
    return lambda: cap_token_lifetime(make(), ttl)


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


def impersonation_target(
    options: BigQueryOptions, email: str | None, groups: Sequence[str], connection: str
) -> str:
    """The service account a user acts as: their own mapping, a group's, or the template's.

    ``email`` must be the user's verified e-mail (unique across accounts). A user is never
    mapped by a name that another person could also have: the template's ``{user}`` is filled
    only for e-mails of the connection's ``impersonation_domains``. Raises ``IdentityError``
    with the reason when no service account is the user's.
    """
    address = email.strip().lower() if email else None
    targets = {_member(k): v for k, v in options.impersonation_targets.items()}
    if address and f"user:{address}" in targets:
        return targets[f"user:{address}"]
    for group in groups:
        if _member(f"group:{group}") in targets:
            return targets[_member(f"group:{group}")]
    template = options.impersonation_template
    if not template:
        raise IdentityError(
            f"No service account to impersonate for {address or 'you'} on {connection}: ask an "
            "admin to map you (or your group) to one."
        )
    if address is None:
        raise IdentityError(
            f"Your account has no verified e-mail address, so connection {connection} cannot "
            "tell who you are: ask an admin to set your e-mail, or sign in with single sign-on."
        )
    local, _, domain = address.rpartition("@")
    if "user" in template_fields(template) and domain not in options.impersonation_domains:
        raise IdentityError(
            f"Connection {connection} maps only e-mails of "
            f"{', '.join(options.impersonation_domains)} to service accounts by name, and yours "
            f"is of {domain}: ask an admin to map you to a service account."
        )
    return template.format(user=local, email=address, project=options.project)


def _member(key: str) -> str:
    """A mapping key, its e-mail without case (``user:Alice@X`` is ``user:alice@x``)."""
    kind, _, name = key.partition(":")
    return f"{kind}:{name.strip().lower()}" if kind == "user" else key


def impersonated(options: BigQueryOptions, target: str, iam_base_url: str) -> Credentials:
    """Short-lived credentials of ``target``, minted with the connection's own credentials."""
    endpoint = (
        f"{iam_base_url.rstrip('/')}/v1/projects/-/serviceAccounts/{target}:generateAccessToken"
    )
    try:
        source = credentials_for(options)
    except auth_errors.DefaultCredentialsError:
        raise WarehouseError(
            ErrorKind.ACCESS_DENIED,
            "No Application Default Credentials on the server to impersonate with: set "
            "GOOGLE_APPLICATION_CREDENTIALS, or give this connection a service-account key.",
        ) from None
    return impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
        source_credentials=source,
        target_principal=target,
        target_scopes=list(SCOPES),
        lifetime=IMPERSONATION_SECONDS,
        iam_endpoint_override=endpoint,
    )


def token_refusal(exc: auth_errors.GoogleAuthError, credentials: Credentials | None) -> str:
    """A sentence for a token Google would not mint: its own words, without the tuple and JSON
    that google-auth wraps them in."""
    reason = auth_reason(exc)
    if isinstance(credentials, impersonated_credentials.Credentials):
        target = credentials.service_account_email
        return (
            f"Google refused to let Belvedere act as {target}: {reason} Belvedere's own account "
            "needs the Service Account Token Creator role on it."
        )
    return f"Google refused an access token for BigQuery: {reason}"


def auth_reason(exc: auth_errors.GoogleAuthError) -> str:
    """The most specific human text in an auth error's arguments."""
    for arg in reversed(exc.args):
        found = _message_in(arg)
        if found:
            return found if found.endswith((".", ")")) else found + "."
    return "no reason given."


def _message_in(value: Any) -> str | None:
    if isinstance(value, BaseException):
        value = str(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            text = value.strip()
            return text if text and not text.startswith(("{", "[", "(", "<")) else None
    if isinstance(value, dict):
        error = value.get("error")
        if isinstance(error, dict):
            return _message_in(error.get("message"))
        description = value.get("error_description")
        if isinstance(description, str) and description:
            return description
        if isinstance(error, str) and error:
            return error
    return None
