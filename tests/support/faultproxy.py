"""Proxies of the tests' own, between a client under test and a real server, with faults.

The BigQuery emulator has no latency or fault options, so the BigQuery tests put these in front:

- :class:`HttpProxy` for the REST API (HTTP/1.1 with keep-alive, as google-cloud-bigquery talks
  through ``requests``): records every request and can delay, hang, answer with an error status
  without forwarding, or reset the TCP connection, for all requests or those a predicate picks.
  An optional hook (``rewrite_headers``) rewrites each request's headers before it is forwarded,
  or refuses the request by raising :class:`Refuse` (the identity proxy of
  ``tests/support/identity.py`` turns bearer tokens into the emulator's caller header so).
- :class:`TcpProxy` for the Storage Read API (gRPC over HTTP/2): forwards bytes and can delay the
  first bytes back, hang new connections after accepting them, reset connections, or stall the
  server's stream after N bytes while keeping the connection open.

Each runs an asyncio loop in a daemon thread on a free loopback port; faults are set from the test
thread at any time. ``reset()`` removes the faults (and closes what they hold: hung requests,
stalled connections), ``clear()`` forgets the recordings, ``close()`` stops the proxy within a
second or so whatever its connections are doing. Nothing here needs the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

import h11
import httpx

from tests.support.ports import free_port
from tests.support.recorded import Recorded

T = TypeVar("T")
CHUNK = 64 * 1024
CLOSE_SECONDS = 5.0


class _LoopThread:
    """An asyncio event loop running in a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = CLOSE_SECONDS) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(CLOSE_SECONDS)
        if not self._thread.is_alive():
            self.loop.close()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP RST (SO_LINGER 0), not a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _cancel_all(tasks: set[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=CLOSE_SECONDS)


# --- REST -----------------------------------------------------------------------------------

_KINDS = [
    (method, re.compile(f"^{pattern}$"), kind)
    for method, pattern, kind in [
        ("POST", r"projects/[^/]+/jobs", "jobs.insert"),
        ("GET", r"projects/[^/]+/jobs", "jobs.list"),
        ("GET", r"projects/[^/]+/jobs/[^/]+", "jobs.get"),
        ("POST", r"projects/[^/]+/jobs/[^/]+/cancel", "jobs.cancel"),
        ("DELETE", r"projects/[^/]+/jobs/[^/]+(/delete)?", "jobs.delete"),
        ("POST", r"projects/[^/]+/queries", "jobs.query"),
        ("GET", r"projects/[^/]+/queries/[^/]+", "jobs.getQueryResults"),
        ("GET", r"projects", "projects.list"),
        ("GET", r"projects/[^/]+/datasets", "datasets.list"),
        ("POST", r"projects/[^/]+/datasets", "datasets.insert"),
        ("GET", r"projects/[^/]+/datasets/[^/]+", "datasets.get"),
        ("DELETE", r"projects/[^/]+/datasets/[^/]+", "datasets.delete"),
        ("GET", r"projects/[^/]+/datasets/[^/]+/tables", "tables.list"),
        ("POST", r"projects/[^/]+/datasets/[^/]+/tables", "tables.insert"),
        ("GET", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+", "tables.get"),
        ("DELETE", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+", "tables.delete"),
        ("GET", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+/data", "tabledata.list"),
        ("POST", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+/insertAll", "tabledata.insertAll"),
    ]
]
_HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"host",
}
_STATUS_NAMES = {
    400: ("INVALID_ARGUMENT", "invalid"),
    401: ("UNAUTHENTICATED", "authError"),
    403: ("PERMISSION_DENIED", "accessDenied"),
    404: ("NOT_FOUND", "notFound"),
    409: ("ALREADY_EXISTS", "duplicate"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded"),
    500: ("INTERNAL", "backendError"),
    502: ("UNAVAILABLE", "backendError"),
    503: ("UNAVAILABLE", "backendError"),
}


def bq_error(code: int, reason: str | None = None, message: str | None = None) -> dict[str, Any]:
    """An error body in BigQuery's JSON shape, e.g. ``bq_error(403, "accessDenied", "...")``."""
    status, default_reason = _STATUS_NAMES.get(code, ("UNKNOWN", "backendError"))
    reason = reason or default_reason
    message = message or f"{reason} (from the test proxy)"
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": status,
        }
    }


@dataclass
class RecordedRequest:
    """One request the proxy received."""

    method: str
    path: str
    """Without the query string, e.g. ``/bigquery/v2/projects/p/jobs``."""
    params: dict[str, str]
    """Query string parameters (the last value of a repeated one)."""
    headers: dict[str, str]
    """Lower-case names."""
    body: Any
    """Parsed JSON, or ``None`` (no body, or not JSON)."""
    time: float
    """``time.monotonic()`` when it arrived."""
    status: int | None = None
    """The status the client got; ``None`` while pending, or when hung or reset."""
    sent_headers: dict[str, str] | None = None
    """The headers forwarded upstream (lower-case names, after ``rewrite_headers``); ``None``
    when it was not forwarded (a fault answered it, or the hook refused it)."""

    @property
    def kind(self) -> str:
        """The BigQuery API method, e.g. ``jobs.insert``; else ``METHOD /path``."""
        tail = self.path.removeprefix("/bigquery/v2").strip("/")
        for method, pattern, kind in _KINDS:
            if method == self.method and pattern.match(tail):
                return kind
        return f"{self.method} {self.path}"

    @property
    def sql(self) -> str | None:
        """The SQL of a jobs.insert query job or a jobs.query call."""
        if not isinstance(self.body, dict):
            return None
        if self.kind == "jobs.query":
            return self.body.get("query")
        if self.kind == "jobs.insert":
            query = self.body.get("configuration", {}).get("query", {})
            return query.get("query") if isinstance(query, dict) else None
        return None


Predicate = Callable[[RecordedRequest], bool]

HeaderRewrite = Callable[[RecordedRequest, dict[str, str]], dict[str, str]]
"""Given a request and the headers about to be forwarded (lower-case names, hop-by-hop ones
left out), the headers to forward instead; or raises :class:`Refuse`. Runs on the proxy's loop
thread: it must be quick and thread-safe."""


class Refuse(Exception):
    """Raised by a :data:`HeaderRewrite` hook: answer ``code`` with the JSON ``body`` instead of
    forwarding the request."""

    def __init__(self, code: int, body: Any) -> None:
        super().__init__(code)
        self.code = code
        self.body = body


def kind_is(*kinds: str) -> Predicate:
    """Requests of these API methods, e.g. ``kind_is("jobs.getQueryResults", "jobs.get")``."""
    return lambda request: request.kind in kinds


def mentions(text: str) -> Predicate:
    """Requests whose SQL or path mentions ``text`` (case-insensitive), e.g. a dataset id."""
    lowered = text.lower()
    return lambda request: lowered in (request.sql or "").lower() or lowered in request.path.lower()


@dataclass
class _Rule:
    action: str  # delay, hang, status, reset
    when: Predicate | None
    times: int | None
    seconds: float = 0.0
    code: int = 0
    body: Any = None


class HttpProxy:
    """A recording HTTP/1.1 reverse proxy with faults, in front of ``upstream`` (a base URL)."""

    def __init__(self, upstream: str, rewrite_headers: HeaderRewrite | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrite_headers = rewrite_headers
        """See :data:`HeaderRewrite`; ``None`` forwards the headers as they came."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._lock = threading.Condition()
        self._requests: Recorded[RecordedRequest] = Recorded(self._lock, "request")
        self._rules: list[_Rule] = []
        self.errors: list[Exception] = []
        """Unexpected errors while handling a connection (e.g. a predicate that raised)."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop = _LoopThread(f"http-proxy-{port}")
        self._release = asyncio.Event()  # set: hung requests give up (reset, close)
        self._closing = asyncio.Event()  # set: delayed requests give up (close)
        self._closed = False
        self._http, self._server = self._loop.run(self._start(port))

    async def _start(self, port: int) -> tuple[httpx.AsyncClient, asyncio.Server]:
        http = httpx.AsyncClient(timeout=None, trust_env=False)
        server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        return http, server

    # recordings

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since the last :meth:`clear`, oldest first."""
        return self._requests.copies()

    def jobs_inserted(self) -> list[dict[str, Any]]:
        """The bodies of jobs.insert calls."""
        return [r.body for r in self.requests if r.kind == "jobs.insert"]

    def queries(self) -> list[str]:
        """The SQL of every query sent (jobs.insert and jobs.query)."""
        return [r.sql for r in self.requests if r.sql is not None]

    def cancels(self) -> list[RecordedRequest]:
        """The jobs.cancel calls."""
        return [r for r in self.requests if r.kind == "jobs.cancel"]

    def wait_for(self, predicate: Predicate, timeout: float = 10.0) -> RecordedRequest:
        """Wait until a request matching ``predicate`` has arrived; returns the first."""
        return self._requests.wait_for(predicate, timeout)

    def clear(self) -> None:
        """Forget the recorded requests."""
        self._requests.clear()

    # faults

    def delay(
        self, seconds: float, when: Predicate | None = None, times: int | None = None
    ) -> None:
        """Wait ``seconds`` before handling each (matching) request; adds to other faults."""
        self._add(_Rule("delay", when, times, seconds=seconds))

    def hang(self, when: Predicate | None = None, times: int | None = None) -> None:
        """Never answer (matching) requests; their connections stay open until :meth:`reset`."""
        self._add(_Rule("hang", when, times))

    def status(
        self,
        code: int,
        body: Any = None,
        when: Predicate | None = None,
        times: int | None = None,
    ) -> None:
        """Answer (matching) requests with ``code`` and a JSON ``body`` without forwarding them
        (default body: :func:`bq_error` of ``code``)."""
        self._add(_Rule("status", when, times, code=code, body=body or bq_error(code)))

    def reset_connection(self, when: Predicate | None = None, times: int | None = None) -> None:
        """Close the connection with a TCP RST on receiving a (matching) request."""
        self._add(_Rule("reset", when, times))

    def reset(self) -> None:
        """Remove every fault; hung requests' connections are closed."""
        with self._lock:
            self._rules.clear()
        if not self._closed:
            self._loop.run(self._renew_release())

    async def _renew_release(self) -> None:
        self._release.set()
        self._release = asyncio.Event()

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _decide(self, request: RecordedRequest) -> tuple[float, _Rule | None]:
        """Total delay of the matching delay rules, and the first other matching rule."""
        delay, final = 0.0, None
        with self._lock:
            for rule in list(self._rules):
                if rule.action != "delay" and final is not None:
                    continue
                if rule.when is not None and not rule.when(request):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                if rule.action == "delay":
                    delay += rule.seconds
                else:
                    final = rule
        return delay, final

    # serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while await self._one_exchange(conn, reader, writer):
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a predicate's or the proxy's own bug: the client sees a close
            with self._lock:
                self.errors.append(exc)
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one_exchange(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Handle one request; whether the connection may carry another."""
        received = await self._read_request(conn, reader)
        if received is None:
            return False
        request, body = received
        record = self._record(request, body)
        delay, rule = self._decide(record)
        release = self._release
        if delay and await _wait(self._closing.wait(), delay):
            return False
        if rule is not None and rule.action == "hang":
            await release.wait()
            return False
        if rule is not None and rule.action == "reset":
            _abort(writer)
            return False
        if rule is not None and rule.action == "status":
            await self._answer(conn, writer, record, rule.code, json.dumps(rule.body).encode())
            return conn.our_state is h11.DONE and conn.their_state is h11.DONE
        headers = [(k, v) for k, v in request.headers if k.lower() not in _HOP_BY_HOP]
        if self.rewrite_headers is not None:
            given = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
            try:
                rewritten = self.rewrite_headers(replace(record), given)
            except Refuse as refusal:
                payload = json.dumps(refusal.body).encode()
                await self._answer(conn, writer, record, refusal.code, payload)
                return conn.our_state is h11.DONE and conn.their_state is h11.DONE
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in rewritten.items()]
        with self._lock:
            record.sent_headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers
            }
        await self._forward(conn, writer, request, headers, body, record)
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> tuple[h11.Request, bytes] | None:
        request: h11.Request | None = None
        chunks: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(CHUNK))
            elif isinstance(event, h11.ConnectionClosed):
                return None
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                assert request is not None
                return request, b"".join(chunks)

    def _record(self, request: h11.Request, body: bytes) -> RecordedRequest:
        target = urlsplit(request.target.decode("latin-1"))
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        record = RecordedRequest(
            method=request.method.decode(),
            path=target.path,
            params=dict(parse_qsl(target.query, keep_blank_values=True)),
            headers={k.decode().lower(): v.decode("latin-1") for k, v in request.headers},
            body=parsed,
            time=time.monotonic(),
        )
        self._requests.add(record)
        return record

    def _set_status(self, record: RecordedRequest, code: int) -> None:
        with self._lock:
            record.status = code
            self._lock.notify_all()

    async def _answer(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        record: RecordedRequest,
        code: int,
        payload: bytes,
    ) -> None:
        headers = [
            (b"content-type", b"application/json; charset=UTF-8"),
            (b"content-length", str(len(payload)).encode()),
        ]
        writer.write(conn.send(h11.Response(status_code=code, headers=headers)))
        writer.write(conn.send(h11.Data(data=payload)))
        writer.write(conn.send(h11.EndOfMessage()))
        self._set_status(record, code)
        await writer.drain()

    async def _forward(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        record: RecordedRequest,
    ) -> None:
        upstream = self._http.build_request(
            request.method.decode(),
            self.upstream + request.target.decode("latin-1"),
            headers=headers,
            content=body,
        )
        try:
            response = await self._http.send(upstream, stream=True)
        except httpx.TransportError as exc:
            message = f"the test proxy cannot reach {self.upstream}: {exc!r}"
            payload = json.dumps(bq_error(502, message=message)).encode()
            await self._answer(conn, writer, record, 502, payload)
            return
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]
            writer.write(conn.send(h11.Response(status_code=response.status_code, headers=out)))
            self._set_status(record, response.status_code)
            async for chunk in response.aiter_raw():
                writer.write(conn.send(h11.Data(data=chunk)))
                await writer.drain()
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
        finally:
            await response.aclose()

    # lifecycle

    def close(self) -> None:
        """Stop serving; open connections are closed, hung requests included."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._loop.run(self._shutdown(), timeout=CLOSE_SECONDS * 2)
        self._loop.stop()

    async def _shutdown(self) -> None:
        self._server.close()
        self._closing.set()
        self._release.set()
        await _cancel_all(set(self._tasks))
        await self._http.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _wait(awaitable: Awaitable[Any], seconds: float) -> bool:
    """Wait up to ``seconds`` for ``awaitable``; whether it finished first."""
    try:
        await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        return False
    return True


# --- TCP ------------------------------------------------------------------------------------


@dataclass
class TcpConnection:
    """One connection the TCP proxy accepted."""

    id: int
    opened: float
    """``time.monotonic()`` when accepted."""
    bytes_up: int = 0
    """Client to server, forwarded."""
    bytes_down: int = 0
    """Server to client, forwarded."""
    fault: str | None = None
    """What a fault did to it: ``hung``, ``delayed``, ``stalled`` or ``reset``."""
    closed: bool = False


@dataclass
class _TcpFaults:
    generation: int = 0
    delay: float = 0.0
    hang_new: bool = False
    reset_after: int | None = None
    stall_after: int | None = None
    baseline: dict[int, int] = field(default_factory=dict)
    """Connection id → its bytes_down when the byte-counting fault was set."""


@dataclass(eq=False)
class _Pipe:
    record: TcpConnection
    writer: asyncio.StreamWriter
    release: asyncio.Event
    delayed_in: int = -1  # the fault generation whose delay it already waited


class TcpProxy:
    """A TCP forwarder with faults, in front of ``upstream`` (``host:port``); for gRPC."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        own = free_port()
        self.target = f"127.0.0.1:{own}"
        self._lock = threading.Condition()
        self._records: Recorded[TcpConnection] = Recorded(self._lock, "connection")
        self._pipes: dict[int, _Pipe] = {}
        self.errors: list[Exception] = []
        """Unexpected errors while handling a connection."""
        self._ids = itertools.count(1)
        self._faults = _TcpFaults()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = asyncio.Event()  # set: delayed connections give up (close)
        self._closed = False
        self._loop = _LoopThread(f"tcp-proxy-{own}")
        self._server = self._loop.run(asyncio.start_server(self._serve, "127.0.0.1", own))

    # recordings

    @property
    def connections(self) -> list[TcpConnection]:
        """Every connection accepted since the last :meth:`clear`, oldest first."""
        return self._records.copies()

    def wait_for(
        self, predicate: Callable[[TcpConnection], bool], timeout: float = 10.0
    ) -> TcpConnection:
        """Wait until a connection matches ``predicate``; returns the first that does."""
        return self._records.wait_for(predicate, timeout)

    def clear(self) -> None:
        """Forget the recorded connections (open ones keep running)."""
        self._records.clear()

    # faults

    def delay(self, seconds: float) -> None:
        """Hold each connection's first bytes back (server to client) for ``seconds``."""
        self._loop.run(self._set(delay=seconds))

    def hang_after_accept(self) -> None:
        """Accept new connections but never connect them upstream nor answer."""
        self._loop.run(self._set(hang_new=True))

    def reset_connection(self, after_bytes: int = 0) -> None:
        """RST connections once they forward ``after_bytes`` more bytes back; with 0, at once
        (open ones) or on accept (new ones)."""
        self._loop.run(self._set(reset_after=after_bytes))

    def stall_after(self, nbytes: int) -> None:
        """Stop forwarding the server's bytes once each connection forwards ``nbytes`` more;
        the connection stays open (the client sees a stalled stream) until :meth:`reset`."""
        self._loop.run(self._set(stall_after=nbytes))

    def reset(self) -> None:
        """Remove every fault; connections a fault holds (hung, stalled) are closed."""
        if not self._closed:
            self._loop.run(self._reset())

    async def _set(self, **changes: Any) -> None:
        faults = replace(self._faults, **changes)
        faults.generation += 1
        if "reset_after" in changes or "stall_after" in changes:
            faults.baseline = {cid: pipe.record.bytes_down for cid, pipe in self._pipes.items()}
        self._faults = faults
        if changes.get("reset_after") == 0:
            for pipe in list(self._pipes.values()):
                self._mark(pipe.record, "reset")
                _abort(pipe.writer)

    async def _reset(self) -> None:
        self._faults = _TcpFaults(generation=self._faults.generation + 1)
        for pipe in list(self._pipes.values()):
            pipe.release.set()

    def _mark(self, record: TcpConnection, fault: str | None = None, closed: bool = False) -> None:
        with self._lock:
            if fault is not None:
                record.fault = fault
            record.closed = record.closed or closed
            self._lock.notify_all()

    # serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        record = TcpConnection(id=next(self._ids), opened=time.monotonic())
        pipe = _Pipe(record, writer, asyncio.Event())
        self._records.add(record)
        self._pipes[record.id] = pipe
        upstream: asyncio.StreamWriter | None = None
        try:
            faults = self._faults
            if faults.reset_after == 0:
                self._mark(record, "reset")
                _abort(writer)
                return
            if faults.hang_new:
                self._mark(record, "hung")
                await pipe.release.wait()
                return
            up_reader, upstream = await asyncio.open_connection(*self._upstream)
            up = asyncio.create_task(self._pump_up(reader, upstream, record))
            down = asyncio.create_task(self._pump_down(up_reader, pipe))
            try:
                await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
                if down.done() or not up.result():
                    return
                await down  # the client sent EOF: let the server finish its answer
            finally:
                up.cancel()
                down.cancel()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        except Exception as exc:  # the proxy's own bug: the client sees a close
            with self._lock:
                self.errors.append(exc)
        finally:
            self._pipes.pop(record.id, None)
            self._tasks.discard(task)
            if upstream is not None:
                upstream.close()
            writer.close()
            self._mark(record, closed=True)

    async def _pump_up(
        self, reader: asyncio.StreamReader, upstream: asyncio.StreamWriter, record: TcpConnection
    ) -> bool:
        """Forward client to server; whether the client ended with a clean EOF."""
        try:
            while data := await reader.read(CHUNK):
                upstream.write(data)
                await upstream.drain()
                with self._lock:
                    record.bytes_up += len(data)
            if upstream.can_write_eof():
                upstream.write_eof()
        except (ConnectionError, OSError):
            return False
        return True

    async def _pump_down(self, up_reader: asyncio.StreamReader, pipe: _Pipe) -> None:
        record = pipe.record
        while data := await up_reader.read(CHUNK):
            faults = self._faults
            if faults.delay and pipe.delayed_in != faults.generation:
                pipe.delayed_in = faults.generation
                self._mark(record, "delayed")
                if await _wait(self._closing.wait(), faults.delay):
                    return
            limit = faults.stall_after if faults.stall_after is not None else faults.reset_after
            if limit is not None:
                room = limit - (record.bytes_down - faults.baseline.get(record.id, 0))
                if len(data) >= room:
                    await self._send_down(pipe, data[: max(room, 0)])
                    if faults.stall_after is not None:
                        self._mark(record, "stalled")
                        await pipe.release.wait()
                    else:
                        self._mark(record, "reset")
                        _abort(pipe.writer)
                    return
            await self._send_down(pipe, data)

    async def _send_down(self, pipe: _Pipe, data: bytes) -> None:
        if not data:
            return
        pipe.writer.write(data)
        await pipe.writer.drain()
        with self._lock:
            pipe.record.bytes_down += len(data)
            self._lock.notify_all()

    # lifecycle

    def close(self) -> None:
        """Stop serving and drop every connection."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._loop.run(self._shutdown(), timeout=CLOSE_SECONDS * 2)
        self._loop.stop()

    async def _shutdown(self) -> None:
        self._server.close()
        self._closing.set()
        for pipe in list(self._pipes.values()):
            pipe.release.set()
            pipe.writer.transport.abort()
        await _cancel_all(set(self._tasks))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
