"""A TCP forwarder with faults (:class:`TcpProxy`), for the BigQuery Storage Read API (gRPC over
HTTP/2): it forwards bytes and can delay the first bytes back, hang new connections after
accepting them, reset connections, or stall the server's stream after N bytes while keeping the
connection open. Faults are set from the test thread at any time; ``reset()`` removes them
(hung and stalled connections are closed), ``close()`` stops the proxy.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tests.support.faults.sockets import CHUNK, abort
from tests.support.servers.loop import LoopServer, wait_at_most
from tests.support.servers.recorded import Recorded


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


class TcpProxy(LoopServer):
    """A TCP forwarder with faults, in front of ``upstream`` (``host:port``); for gRPC."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._lock = threading.Condition()
        self._records: Recorded[TcpConnection] = Recorded(self._lock, "connection")
        self._pipes: dict[int, _Pipe] = {}
        self.errors: list[Exception] = []
        """Unexpected errors while handling a connection."""
        self._ids = itertools.count(1)
        self._faults = _TcpFaults()
        self._closing = asyncio.Event()  # set: delayed connections give up (close)
        super().__init__("tcp-proxy")

    async def _open(self) -> None:
        self._server = await asyncio.start_server(self.tracked(self._serve), "127.0.0.1", self.port)

    async def _close(self) -> None:
        self._server.close()
        self._closing.set()
        for pipe in list(self._pipes.values()):
            pipe.release.set()
            pipe.writer.transport.abort()

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
        self.call(self._set(delay=seconds))

    def hang_after_accept(self) -> None:
        """Accept new connections but never connect them upstream nor answer."""
        self.call(self._set(hang_new=True))

    def reset_connection(self, after_bytes: int = 0) -> None:
        """RST connections once they forward ``after_bytes`` more bytes back; with 0, at once
        (open ones) or on accept (new ones)."""
        self.call(self._set(reset_after=after_bytes))

    def stall_after(self, nbytes: int) -> None:
        """Stop forwarding the server's bytes once each connection forwards ``nbytes`` more;
        the connection stays open (the client sees a stalled stream) until :meth:`reset`."""
        self.call(self._set(stall_after=nbytes))

    def reset(self) -> None:
        """Remove every fault; connections a fault holds (hung, stalled) are closed."""
        if not self.closed:
            self.call(self._reset())

    async def _set(self, **changes: Any) -> None:
        faults = replace(self._faults, **changes)
        faults.generation += 1
        if "reset_after" in changes or "stall_after" in changes:
            faults.baseline = {cid: pipe.record.bytes_down for cid, pipe in self._pipes.items()}
        self._faults = faults
        if changes.get("reset_after") == 0:
            for pipe in list(self._pipes.values()):
                self._mark(pipe.record, "reset")
                abort(pipe.writer)

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
        record = TcpConnection(id=next(self._ids), opened=time.monotonic())
        pipe = _Pipe(record, writer, asyncio.Event())
        self._records.add(record)
        self._pipes[record.id] = pipe
        upstream: asyncio.StreamWriter | None = None
        try:
            faults = self._faults
            if faults.reset_after == 0:
                self._mark(record, "reset")
                abort(writer)
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
                if await wait_at_most(self._closing.wait(), faults.delay):
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
                        abort(pipe.writer)
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
