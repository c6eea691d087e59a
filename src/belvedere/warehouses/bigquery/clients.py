"""Credentials and SDK clients of a BigQuery connection.

The REST client is shared by the connection's queries (it is thread-safe); every read over the
Storage Read API gets its own gRPC channel, so that cancelling a run can close it and stop
waiting on the network at once.
"""

from __future__ import annotations

import os
import threading
import urllib.request
from datetime import timedelta
from typing import Any

import google.auth
import grpc
from google.api_core.client_options import ClientOptions
from google.auth import _helpers
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import BigQueryReadClient
from google.cloud.bigquery_storage_v1.services.big_query_read.transports import (
    BigQueryReadGrpcTransport,
)
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter

from belvedere.warehouses.bigquery.options import BigQueryOptions, service_account_info

SCOPES = (
    "https://www.googleapis.com/auth/bigquery",
    "https://www.googleapis.com/auth/cloud-platform",
)


def credentials_for(options: BigQueryOptions) -> Credentials:
    """The credentials the options ask for (no network until first use)."""
    if options.auth == "none":
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if options.auth == "service_account_key":
        assert options.service_account_key is not None  # checked by the options model
        info = service_account_info(options.service_account_key)
        key: Credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=SCOPES
        )
        return key
    found, _project = google.auth.default(scopes=SCOPES)
    return found


def cap_token_lifetime(credentials: Credentials, max_seconds: float) -> Credentials:
    """Make ``credentials`` ask Google for a new access token at most ``max_seconds`` after
    each one it got, whatever lifetime Google gave it (in place, so that their type, which
    error messages look at, stays; returns them).

    google-auth refreshes a token :data:`~google.auth._helpers.REFRESH_THRESHOLD` before its
    expiry, so the expiry kept is that much past the cap.
    """
    refresh = credentials.refresh
    most = timedelta(seconds=max_seconds) + _helpers.REFRESH_THRESHOLD

    def refresh_capped(request: Any) -> None:
        refresh(request)  # type: ignore[no-untyped-call]
        cap = _helpers.utcnow() + most  # type: ignore[no-untyped-call]
        if credentials.expiry is None or credentials.expiry > cap:
            credentials.expiry = cap

    credentials.refresh = refresh_capped  # type: ignore[method-assign]
    return credentials


#: Kept-alive HTTP connections per connection: enough for many queries waiting at once.
HTTP_POOL_SIZE = 256


def rest_client(options: BigQueryOptions, credentials: Credentials) -> bigquery.Client:
    """The REST client: jobs, metadata, tabledata; one session with a large connection pool,
    since many runs wait on BigQuery at once."""
    client_options = (
        ClientOptions(api_endpoint=options.api_endpoint) if options.api_endpoint else None
    )
    session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
    if not urllib.request.getproxies():
        # requests re-reads the environment (proxies, netrc, CA bundle) on every call: a third
        # of the CPU of a trivial query. Without proxies, read what matters once.
        session.trust_env = False
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        session.verify = bundle or True
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=HTTP_POOL_SIZE)
    for prefix in ("https://", "http://"):
        session.mount(prefix, adapter)
    return bigquery.Client(
        project=options.job_project,
        credentials=credentials,
        location=options.location,
        client_options=client_options,
        _http=session,
    )


class _BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """Sends credentials' access token as ``authorization`` metadata on a plaintext channel
    (gRPC attaches call credentials to TLS channels only; emulators listen in plaintext)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._request = GoogleAuthRequest()
        self._lock = threading.Lock()

    def _details(self, details: Any) -> Any:
        with self._lock:
            if not self._credentials.valid:
                self._credentials.refresh(self._request)  # type: ignore[no-untyped-call]
            token = self._credentials.token
        metadata = [*(details.metadata or []), ("authorization", f"Bearer {token}")]
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)


def storage_client(options: BigQueryOptions, credentials: Credentials) -> BigQueryReadClient:
    """A Storage Read API client on a channel of its own."""
    endpoint = options.storage_api_endpoint
    if endpoint and options.storage_api_insecure:
        channel = grpc.insecure_channel(endpoint, options=_channel_options())
        if not isinstance(credentials, AnonymousCredentials):
            channel = grpc.intercept_channel(channel, _BearerToken(credentials))
        transport = BigQueryReadGrpcTransport(channel=channel)
        return BigQueryReadClient(transport=transport)  # type: ignore[no-untyped-call]
    client_options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    return BigQueryReadClient(  # type: ignore[no-untyped-call]
        credentials=credentials, client_options=client_options
    )


def _channel_options() -> list[tuple[str, Any]]:
    return [("grpc.max_receive_message_length", -1)]


def close_storage_client(client: BigQueryReadClient) -> None:
    """Close a Storage client's channel: RPCs waiting on it end at once."""
    client.transport.close()  # type: ignore[no-untyped-call]
