"""Raw BigQuery clients that send a bearer token the way Belvedere will: ``authorization:
Bearer ...`` metadata on a plaintext gRPC channel (:func:`bearer_channel`,
:func:`token_storage_client`), and a REST client with a fixed token (:func:`token_rest_client`).
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import grpc

from tests.support.identity.grpc_proxy import CHANNEL_OPTIONS

if TYPE_CHECKING:
    from google.cloud import bigquery
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient


_Details = collections.namedtuple(
    "_Details", ["method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"]
)


class _CallDetails(_Details, grpc.ClientCallDetails):
    pass


class _Bearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, token: str | Callable[[], str]) -> None:
        self._token = token

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        token = self._token() if callable(self._token) else self._token
        metadata = [*(details.metadata or []), ("authorization", f"Bearer {token}")]
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)


def bearer_channel(target: str, token: str | Callable[[], str]) -> grpc.Channel:
    """A plaintext channel to ``target`` whose calls carry ``authorization: Bearer <token>``
    (``token`` may be a function, asked before each call)."""
    channel = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
    return grpc.intercept_channel(channel, _Bearer(token))


def token_storage_client(target: str, token: str | Callable[[], str]) -> BigQueryReadClient:
    """A Storage Read API client of ``target`` that sends ``token`` (see :func:`bearer_channel`)."""
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient
    from google.cloud.bigquery_storage_v1.services.big_query_read.transports import (
        BigQueryReadGrpcTransport,
    )

    transport = BigQueryReadGrpcTransport(channel=bearer_channel(target, token))
    return BigQueryReadClient(transport=transport)


def token_rest_client(url: str, token: str, project: str = "test-project") -> bigquery.Client:
    """A REST client of ``url`` that sends ``token`` as its bearer token (never refreshed)."""
    import google.oauth2.credentials
    from google.api_core.client_options import ClientOptions
    from google.cloud import bigquery

    return bigquery.Client(
        project=project,
        credentials=google.oauth2.credentials.Credentials(token=token),  # type: ignore[no-untyped-call]
        client_options=ClientOptions(api_endpoint=url),
    )
