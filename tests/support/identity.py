"""Identity-aware proxies in front of the BigQuery emulator, standing in for Google's front end.

BigQuery learns who calls from the OAuth2 access token; the emulator learns it from its own
header (``X-Bqemu-Caller``, ``X-Bqemu-Groups``; gRPC metadata ``x-bqemu-caller``,
``x-bqemu-groups``) and enforces ROW ACCESS POLICIES for that caller. These proxies turn the
first into the second, asking the Google stand-in (``tests/support/google.py``) whose token it is:

- :func:`identity_rest_proxy`: an :class:`~tests.support.faultproxy.HttpProxy` (recordings and
  faults included) whose header hook sets the caller from ``Authorization: Bearer <token>``;
- :class:`GrpcIdentityProxy`: a gRPC server forwarding every call as raw bytes to the emulator
  (unary-unary, unary-stream and stream-stream), with the caller from ``authorization``
  metadata.

A request without a token, or with an unknown, expired or revoked one, is refused as Google
does: 401 ``UNAUTHENTICATED`` in BigQuery's error shape over REST, ``UNAUTHENTICATED`` over gRPC;
a token without a BigQuery scope gets 403 / ``PERMISSION_DENIED`` ("insufficient authentication
scopes"). Callers' own ``x-bqemu-*`` headers are dropped, never forwarded.

:func:`bearer_channel` and :func:`token_storage_client` make a raw Storage Read client that sends
a token the way Belvedere will (``authorization: Bearer ...`` metadata on a plaintext channel).
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import grpc

from tests.support.faultproxy import HttpProxy, RecordedRequest, Refuse, bq_error
from tests.support.google import (
    BIGQUERY_READONLY_SCOPE,
    BIGQUERY_SCOPE,
    CLOUD_PLATFORM_READONLY_SCOPE,
    CLOUD_PLATFORM_SCOPE,
    INSUFFICIENT_SCOPES,
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    GoogleService,
)
from tests.support.recorded import Recorded

if TYPE_CHECKING:
    from google.cloud import bigquery
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient

CALLER = "x-bqemu-caller"
GROUPS = "x-bqemu-groups"
BIGQUERY_SCOPES = frozenset(
    {BIGQUERY_SCOPE, BIGQUERY_READONLY_SCOPE, CLOUD_PLATFORM_SCOPE, CLOUD_PLATFORM_READONLY_SCOPE}
)
"""A token needs one of these to be let through (as BigQuery asks)."""

_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
]
_STREAMING = {
    "/google.cloud.bigquery.storage.v1.BigQueryRead/ReadRows": "unary_stream",
    "/google.cloud.bigquery.storage.v1beta2.BigQueryRead/ReadRows": "unary_stream",
    "/google.cloud.bigquery.storage.v1.BigQueryWrite/AppendRows": "stream_stream",
    "/google.cloud.bigquery.storage.v1beta2.BigQueryWrite/AppendRows": "stream_stream",
}
"""Methods that stream; every other method is forwarded as unary-unary."""
_NOT_FORWARDED = {CALLER, GROUPS, "user-agent", "content-type", "te"}


@dataclass(frozen=True)
class Verdict:
    """Who a bearer token is, or why it is refused."""

    principal: str | None
    """``user:...`` or ``serviceAccount:...``; ``None`` when refused."""
    groups: tuple[str, ...] = ()
    """Groups the Google stand-in lists for the principal (``GoogleService.set_groups``)."""
    token: str | None = None
    refusal: str | None = None
    """``missing``, ``invalid`` (unknown, expired or revoked) or ``scope``."""


def judge(google: GoogleService, authorization: str | None) -> Verdict:
    """Decide on an ``Authorization`` header (or ``authorization`` metadata) value."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Verdict(None, refusal="missing")
    info = google.token_info(token)
    if info is None or not info.valid:
        return Verdict(None, token=token, refusal="invalid")
    if not BIGQUERY_SCOPES & set(info.scopes):
        return Verdict(None, token=token, refusal="scope")
    return Verdict(info.principal, google.groups_of(info.principal), token)


# --- REST ---------------------------------------------------------------------------------------


def _refusal_body(refusal: str) -> tuple[int, dict[str, Any]]:
    if refusal == "scope":
        body = bq_error(403, "insufficientPermissions", INSUFFICIENT_SCOPES)
        body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
            }
        ]
        return 403, body
    if refusal == "missing":
        body = bq_error(401, "required", MISSING_CREDENTIALS)
    else:
        body = bq_error(401, "authError", INVALID_CREDENTIALS)
    body["error"]["errors"][0].update(
        {
            "message": "Invalid Credentials" if refusal == "invalid" else "Login Required.",
            "location": "Authorization",
            "locationType": "header",
        }
    )
    return 401, body


def identity_headers(
    google: GoogleService,
) -> Callable[[RecordedRequest, dict[str, str]], dict[str, str]]:
    """The :class:`HttpProxy` header hook: caller (and groups) from the bearer token."""

    def rewrite(request: RecordedRequest, headers: dict[str, str]) -> dict[str, str]:
        verdict = judge(google, headers.get("authorization"))
        if verdict.principal is None:
            assert verdict.refusal is not None
            raise Refuse(*_refusal_body(verdict.refusal))
        out = {k: v for k, v in headers.items() if k not in (CALLER, GROUPS)}
        out[CALLER] = verdict.principal
        if verdict.groups:
            out[GROUPS] = ",".join(verdict.groups)
        return out

    return rewrite


def identity_rest_proxy(upstream: str, google: GoogleService) -> HttpProxy:
    """An :class:`HttpProxy` in front of ``upstream`` (the emulator's REST URL) that forwards
    each request as the caller its bearer token belongs to. Its recordings show what went
    upstream: ``request.sent_headers["x-bqemu-caller"]``."""
    return HttpProxy(upstream, rewrite_headers=identity_headers(google))


def caller_of(request: RecordedRequest) -> str | None:
    """The caller a REST request was forwarded as (``None``: refused or not forwarded)."""
    return (request.sent_headers or {}).get(CALLER)


# --- gRPC ---------------------------------------------------------------------------------------


@dataclass
class GrpcCall:
    """One call the gRPC identity proxy received."""

    method: str
    """The full method, e.g. ``/google.cloud.bigquery.storage.v1.BigQueryRead/ReadRows``."""
    principal: str | None
    """The caller it was forwarded as; ``None`` when refused."""
    groups: tuple[str, ...]
    token: str | None
    started: float
    """``time.monotonic()`` when it arrived."""
    code: str | None = None
    """The status code's name the client got (``OK``, ``UNAUTHENTICATED``, ...); ``None`` while
    it runs."""
    messages: int = 0
    """Response messages forwarded."""

    @property
    def name(self) -> str:
        """The method's short name, e.g. ``ReadRows``."""
        return self.method.rsplit("/", 1)[-1]


class _Abort(Exception):
    def __init__(self, call: GrpcCall, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.call, self.code, self.details = call, code, details


class GrpcIdentityProxy:
    """A gRPC proxy in front of ``upstream`` (``host:port``, plaintext) that forwards each call
    as the caller its ``authorization: Bearer`` metadata belongs to. ``target`` is where it
    listens (plaintext, loopback)."""

    def __init__(self, upstream: str, google: GoogleService, max_workers: int = 16) -> None:
        self.upstream = upstream
        self._google = google
        self._lock = threading.Condition()
        self._calls: Recorded[GrpcCall] = Recorded(self._lock, "call")
        self.errors: list[Exception] = []
        """Unexpected errors inside the proxy."""
        self._channel = grpc.insecure_channel(upstream, options=_CHANNEL_OPTIONS)
        self._server = grpc.server(
            ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc-identity"),
            handlers=[_Handler(self)],
            options=_CHANNEL_OPTIONS,
        )
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{port}"
        self._server.start()
        self._closed = False

    # recordings

    @property
    def calls(self) -> list[GrpcCall]:
        """Every call received since the last :meth:`clear`, oldest first."""
        return self._calls.copies()

    def callers(self) -> list[str | None]:
        """The caller each call was forwarded as, in order (``None``: refused)."""
        return [c.principal for c in self.calls]

    def wait_for(self, predicate: Callable[[GrpcCall], bool], timeout: float = 10.0) -> GrpcCall:
        """Wait until a call matches ``predicate``; returns the first that does."""
        return self._calls.wait_for(predicate, timeout)

    def clear(self) -> None:
        """Forget the recorded calls."""
        self._calls.clear()

    def reset(self) -> None:
        """Nothing to undo (it has no faults; put a ``TcpProxy`` in front for those)."""

    # serving

    def _begin(self, method: str, context: grpc.ServicerContext) -> tuple[GrpcCall, list[Any]]:
        metadata = list(context.invocation_metadata())
        authorization = next((v for k, v in metadata if k == "authorization"), None)
        verdict = judge(self._google, authorization if isinstance(authorization, str) else None)
        call = GrpcCall(method, verdict.principal, verdict.groups, verdict.token, time.monotonic())
        self._calls.add(call)
        if verdict.principal is None:
            if verdict.refusal == "scope":
                raise _Abort(call, grpc.StatusCode.PERMISSION_DENIED, INSUFFICIENT_SCOPES)
            message = MISSING_CREDENTIALS if verdict.refusal == "missing" else INVALID_CREDENTIALS
            raise _Abort(call, grpc.StatusCode.UNAUTHENTICATED, message)
        forwarded = [
            (k, v) for k, v in metadata if k not in _NOT_FORWARDED and not k.startswith(":")
        ]
        forwarded.append((CALLER, verdict.principal))
        if verdict.groups:
            forwarded.append((GROUPS, ",".join(verdict.groups)))
        return call, forwarded

    def _end(self, call: GrpcCall, code: grpc.StatusCode) -> None:
        with self._lock:
            call.code = code.name
            self._lock.notify_all()

    def _count(self, call: GrpcCall) -> None:
        with self._lock:
            call.messages += 1

    def _fail(
        self, call: GrpcCall | None, exc: BaseException, context: grpc.ServicerContext
    ) -> None:
        """Answer the client with the upstream's (or our own) error; never returns."""
        trailers: Any = None
        if isinstance(exc, _Abort):
            call, code, details = exc.call, exc.code, exc.details
        elif isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
            code, details, trailers = exc.code(), exc.details() or "", exc.trailing_metadata()
        else:
            with self._lock:
                self.errors.append(exc if isinstance(exc, Exception) else RuntimeError(exc))
            code, details, trailers = grpc.StatusCode.INTERNAL, f"test proxy: {exc!r}", None
        if call is not None:
            self._end(call, code)
        if trailers:
            with contextlib.suppress(Exception):
                context.set_trailing_metadata(_clean(trailers))
        context.abort(code, details)

    def unary_unary(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        call: GrpcCall | None = None
        try:
            call, metadata = self._begin(method, context)
            response, rpc = self._channel.unary_unary(method).with_call(
                request, metadata=metadata, timeout=_remaining(context)
            )
        except Exception as exc:
            self._fail(call, exc, context)
            raise  # not reached: abort raises
        with contextlib.suppress(Exception):
            context.set_trailing_metadata(_clean(rpc.trailing_metadata()))
        self._count(call)
        self._end(call, grpc.StatusCode.OK)
        return response  # type: ignore[no-any-return]

    def unary_stream(
        self, method: str, request: bytes, context: grpc.ServicerContext
    ) -> Iterator[bytes]:
        call: GrpcCall | None = None
        try:
            call, metadata = self._begin(method, context)
            upstream = self._channel.unary_stream(method)(
                request, metadata=metadata, timeout=_remaining(context)
            )
            context.add_callback(upstream.cancel)  # the client gave up: so does the proxy
            for message in upstream:
                self._count(call)
                yield message
        except Exception as exc:
            if context.is_active():
                self._fail(call, exc, context)
            elif call is not None:
                self._end(call, grpc.StatusCode.CANCELLED)
            return
        with contextlib.suppress(Exception):
            context.set_trailing_metadata(_clean(upstream.trailing_metadata()))
        self._end(call, grpc.StatusCode.OK)

    def stream_stream(
        self, method: str, requests: Iterator[bytes], context: grpc.ServicerContext
    ) -> Iterator[bytes]:
        call: GrpcCall | None = None
        try:
            call, metadata = self._begin(method, context)
            upstream = self._channel.stream_stream(method)(
                requests, metadata=metadata, timeout=_remaining(context)
            )
            context.add_callback(upstream.cancel)
            for message in upstream:
                self._count(call)
                yield message
        except Exception as exc:
            if context.is_active():
                self._fail(call, exc, context)
            elif call is not None:
                self._end(call, grpc.StatusCode.CANCELLED)
            return
        self._end(call, grpc.StatusCode.OK)

    # lifecycle

    def close(self) -> None:
        """Stop serving (running calls are cancelled within a second) and close the channel."""
        if self._closed:
            return
        self._closed = True
        self._server.stop(grace=1).wait(5)
        self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _remaining(context: grpc.ServicerContext) -> float | None:
    left = context.time_remaining()
    return None if left is None or left > 86_400 else max(left, 0.001)


def _clean(metadata: Any) -> list[tuple[str, Any]]:
    return [
        (k, v)
        for k, v in (metadata or ())
        if not k.startswith((":", "grpc-")) or k.endswith("-bin")
    ]


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, proxy: GrpcIdentityProxy) -> None:
        self._proxy = proxy

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method: str = details.method
        proxy = self._proxy
        kind = _STREAMING.get(method, "unary_unary")
        if kind == "unary_stream":
            return grpc.unary_stream_rpc_method_handler(
                lambda request, context: proxy.unary_stream(method, request, context)
            )
        if kind == "stream_stream":
            return grpc.stream_stream_rpc_method_handler(
                lambda requests, context: proxy.stream_stream(method, requests, context)
            )
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: proxy.unary_unary(method, request, context)
        )


# --- clients that send a token ------------------------------------------------------------------

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
    channel = grpc.insecure_channel(target, options=_CHANNEL_OPTIONS)
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
