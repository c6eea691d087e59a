"""A recording HTTP/1.1 reverse proxy with faults (:class:`HttpProxy`), for the BigQuery
REST API as google-cloud-bigquery talks to it through ``requests`` (keep-alive included).

It records every request and can delay, hang, answer with an error status without forwarding,
reset the TCP connection, edit the JSON answer of a forwarded request, or forward a request
and lose its answer (reset once upstream has answered), for all requests or those a predicate
picks. An optional hook
(``rewrite_headers``) rewrites each request's headers before it is forwarded, or refuses the
request by raising :class:`~tests.support.faults.rest.Refuse` (the identity proxy of
:mod:`tests.support.identity.rest` turns bearer tokens into the emulator's caller header so).
Faults are set from the test thread at any time; ``reset()`` removes them (hung requests are
closed), ``clear()`` forgets the recordings, ``close()`` stops the proxy.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import h11
import httpx

from tests.support.faults.rest import (
    HeaderRewrite,
    Predicate,
    RecordedRequest,
    Refuse,
    bq_error,
)
from tests.support.faults.sockets import CHUNK, abort
from tests.support.servers.loop import LoopServer, wait_at_most
from tests.support.servers.recorded import Recorded

HOP_BY_HOP = {
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


#: Given a forwarded request and its JSON answer, the answer to send instead.
AnswerEdit = Callable[[RecordedRequest, Any], Any]


@dataclass
class _Rule:
    action: str  # delay, hang, status, reset, edit, lose
    when: Predicate | None
    times: int | None
    seconds: float = 0.0
    code: int = 0
    body: Any = None
    edit: AnswerEdit | None = None


class HttpProxy(LoopServer):
    """A recording HTTP/1.1 reverse proxy with faults, in front of ``upstream`` (a base URL)."""

    def __init__(self, upstream: str, rewrite_headers: HeaderRewrite | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrite_headers = rewrite_headers
        """See :data:`HeaderRewrite`; ``None`` forwards the headers as they came."""
        self._lock = threading.Condition()
        self._requests: Recorded[RecordedRequest] = Recorded(self._lock, "request")
        self._rules: list[_Rule] = []
        self.errors: list[Exception] = []
        """Unexpected errors while handling a connection (e.g. a predicate that raised)."""
        self._release = asyncio.Event()  # set: hung requests give up (reset, close)
        self._closing = asyncio.Event()  # set: delayed requests give up (close)
        super().__init__("http-proxy")

    async def _open(self) -> None:
        self._http = httpx.AsyncClient(timeout=None, trust_env=False)
        self._server = await asyncio.start_server(self.tracked(self._serve), "127.0.0.1", self.port)

    async def _close(self) -> None:
        self._server.close()
        self._closing.set()
        self._release.set()

    async def _dispose(self) -> None:
        await self._http.aclose()

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

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until every recorded request has been answered (work a closed app left in
        flight would otherwise land among the next test's recordings)."""
        deadline = time.monotonic() + timeout
        while any(r.status is None for r in self.requests):
            if time.monotonic() > deadline:
                raise TimeoutError(f"requests still unanswered after {timeout} s")
            time.sleep(0.1)

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

    def edit(
        self, change: AnswerEdit, when: Predicate | None = None, times: int | None = None
    ) -> None:
        """Forward (matching) requests and send ``change(request, answer)`` in place of their
        JSON answer (what BigQuery would say where the emulator says less)."""
        self._add(_Rule("edit", when, times, edit=change))

    def lose_answer(self, when: Predicate | None = None, times: int | None = None) -> None:
        """Forward (matching) requests, then reset the connection instead of answering: the
        request took effect upstream, and the client never heard."""
        self._add(_Rule("lose", when, times))

    def reset(self) -> None:
        """Remove every fault; hung requests' connections are closed."""
        with self._lock:
            self._rules.clear()
        if not self.closed:
            self.call(self._renew_release())

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
        if delay and await wait_at_most(self._closing.wait(), delay):
            return False
        if rule is not None and rule.action == "hang":
            await release.wait()
            return False
        if rule is not None and rule.action == "reset":
            abort(writer)
            return False
        if rule is not None and rule.action == "status":
            await self._answer(conn, writer, record, rule.code, json.dumps(rule.body).encode())
            return conn.our_state is h11.DONE and conn.their_state is h11.DONE
        headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
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
        changed = rule if rule is not None and rule.action in ("edit", "lose") else None
        if not await self._forward(conn, writer, request, headers, body, record, changed):
            return False
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
        changed: _Rule | None = None,
    ) -> bool:
        """Forward and stream the answer back; with an edit or lose rule, read the whole
        answer, then send it edited or reset the connection. Whether the connection lives."""
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
            return True
        if changed is not None:
            answer = await response.aread()
            await response.aclose()
            if changed.action == "lose":
                abort(writer)
                return False
            assert changed.edit is not None
            edited = changed.edit(replace(record), json.loads(answer))
            await self._answer(
                conn, writer, record, response.status_code, json.dumps(edited).encode()
            )
            return True
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            writer.write(conn.send(h11.Response(status_code=response.status_code, headers=out)))
            self._set_status(record, response.status_code)
            async for chunk in response.aiter_raw():
                writer.write(conn.send(h11.Data(data=chunk)))
                await writer.drain()
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
        finally:
            await response.aclose()
        return True
