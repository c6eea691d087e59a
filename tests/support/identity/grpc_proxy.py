"""The identity gRPC proxy: a gRPC server in front of the emulator's Storage APIs forwarding
every call as raw bytes (unary-unary, unary-stream and stream-stream), with the caller from the
call's ``authorization`` metadata; ``UNAUTHENTICATED`` or ``PERMISSION_DENIED`` otherwise.

gRPC runs its own server threads, so this is not a :class:`~tests.support.servers.loop.LoopServer`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import grpc

from tests.support.google import (
    INSUFFICIENT_SCOPES,
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    GoogleService,
)
from tests.support.identity.callers import CALLER, GROUPS, judge
from tests.support.servers.recorded import Recorded

CHANNEL_OPTIONS = [
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
        self._channel = grpc.insecure_channel(upstream, options=CHANNEL_OPTIONS)
        self._server = grpc.server(
            ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc-identity"),
            handlers=[_Handler(self)],
            options=CHANNEL_OPTIONS,
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
