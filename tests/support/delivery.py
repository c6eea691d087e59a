"""Stand-ins that receive schedules' deliveries on loopback: an SMTP server (aiosmtpd) that
keeps every message, a server that accepts connections and never says a word, an HTTP
receiver of webhooks; and a sample report with a real chart (vl-convert)."""

from __future__ import annotations

import csv
import io
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from belvedere.charts.render import to_png
from belvedere.schedules.delivery import Report, Section
from tests.support.certificates import self_signed_pem
from tests.support.servers.ports import free_port

if TYPE_CHECKING:  # aiosmtpd is imported by the tests that start a mail server only
    from aiosmtpd.smtp import AuthResult, Envelope, Session

COLUMNS = ["region", "revenue"]
ROWS: list[list[Any]] = [["north", 1200], ["south", 800], ["east", 450], ["west", 975]]


@cache
def chart_png() -> bytes:
    """A small Vega-Lite bar chart of :data:`ROWS`, drawn on the server."""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": [dict(zip(COLUMNS, row, strict=True)) for row in ROWS]},
        "mark": "bar",
        "encoding": {
            "x": {"field": "region", "type": "nominal"},
            "y": {"field": "revenue", "type": "quantitative"},
        },
        "width": 200,
        "height": 120,
    }
    return to_png(spec, scale=1)


def as_csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def sample_report(
    *, subject: str = "Weekly revenue", rows: list[list[Any]] | None = None, chart: bool = True
) -> Report:
    """A report of one section (a chart of revenue by region, its table and CSV)."""
    rows = ROWS if rows is None else rows
    section = Section(
        title="Revenue by region",
        png=chart_png() if chart else None,
        columns=COLUMNS,
        rows=rows,
        csv=as_csv(COLUMNS, rows),
        csv_name="revenue-by-region.csv",
    )
    return Report(
        subject=subject,
        title="Revenue <weekly>",
        link="http://belvedere.test/charts/7",
        sections=[section],
        intro="Revenue is above 1,000 (1,200).",
    )


@dataclass
class Received:
    """A message the SMTP stand-in accepted."""

    sender: str
    recipients: list[str]
    message: EmailMessage


class _Keeper:
    """aiosmtpd handler: keeps messages, or refuses at ``refuse_at`` (``RCPT``/``DATA``)."""

    def __init__(self, refuse_at: str | None, reply: str) -> None:
        self.refuse_at = refuse_at
        self.reply = reply
        self.received: list[Received] = []

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_at == "RCPT":
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.refuse_at == "DATA":
            return self.reply
        content = envelope.original_content or b""
        message = cast(EmailMessage, message_from_bytes(content, policy=policy.default))
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted"


@contextmanager
def mail_server(
    *,
    refuse_at: str | None = None,
    reply: str = "550 mailbox unavailable",
    password: str | None = None,
    tls: tuple[str, str] | None = None,
    implicit_tls: bool = False,
) -> Iterator[tuple[int, list[Received]]]:
    """An SMTP server on 127.0.0.1: its port and the messages it accepted. ``password``: AUTH
    is offered and only that password is accepted; ``tls`` (cert, key files): STARTTLS is
    offered and required, or with ``implicit_tls`` TLS from the first byte."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    keeper = _Keeper(refuse_at, reply)
    options: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        if implicit_tls:
            options["ssl_context"] = context
        else:
            options.update(tls_context=context, require_starttls=True)
    if password is not None:

        def check(
            server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False)

        options.update(authenticator=check, auth_require_tls=tls is not None)
    controller = Controller(
        keeper, hostname="127.0.0.1", port=free_port(), server_hostname="localhost", **options
    )
    controller.start()
    try:
        yield controller.port, keeper.received
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@dataclass
class Hook:
    """A request the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records POSTs and answers ``status`` (with ``body``
    and, for a redirect, ``location``)."""

    status: int = 200
    body: bytes = b"ok"
    location: str | None = None
    hooks: list[Hook] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Hook]:
        deadline = time.monotonic() + timeout
        while len(self.hooks) < count:
            assert time.monotonic() < deadline, f"{len(self.hooks)} of {count} webhooks came"
            time.sleep(0.01)
        return list(self.hooks)

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                receiver.hooks.append(
                    Hook(
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length),
                    )
                )
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def tls_files(folder: Path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files: (cert, key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    certificate = self_signed_pem(key, "127.0.0.1", valid=timedelta(days=1), ip="127.0.0.1")
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)
