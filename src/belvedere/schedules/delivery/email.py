"""Reports by e-mail over SMTP (the standard library's smtplib): HTML with the charts inline,
a plain-text alternative, each section's data attached as CSV.

``BELVEDERE_SMTP_URL``: ``smtp://user:pass@host:port`` (STARTTLS when the server offers it),
``smtp+starttls://...`` (STARTTLS required) or ``smtps://...`` (TLS from the first byte).
Connecting and every command wait at most ``timeout_seconds``; a failure is
:class:`DeliveryFailed` in the server's words, never with the password.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from belvedere.schedules.delivery import report as render
from belvedere.schedules.delivery.report import DeliveryFailed, Report

if TYPE_CHECKING:
    from belvedere.settings import Settings

#: Default port of each scheme.
PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


def one_line(value: str) -> str:
    """``value`` without line breaks: a header a user named cannot start another header."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


class SmtpSender:
    """Sends reports through one SMTP server."""

    def __init__(
        self, url: str, sender: str, timeout_seconds: float, ca_file: str | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in PORTS or not parts.hostname:
            raise ValueError(
                "BELVEDERE_SMTP_URL must be smtp://, smtp+starttls:// or smtps:// with a host, "
                "e.g. smtp://user:password@mail.example.com:587."
            )
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or PORTS[parts.scheme]
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self.sender = one_line(sender)
        self.timeout_seconds = timeout_seconds
        self.ca_file = ca_file

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender | None:
        """The sender the settings describe; ``None`` when no SMTP server is set."""
        if settings.smtp_url is None:
            return None
        return cls(
            settings.smtp_url.get_secret_value(),
            settings.smtp_from,
            settings.smtp_timeout_seconds,
            settings.smtp_ca_file,
        )

    def __repr__(self) -> str:
        return f"SmtpSender({self.scheme}://{self.host}:{self.port})"

    def send(self, to: Sequence[str], report: Report) -> None:
        """Send ``report`` to ``to`` (blocking); :class:`DeliveryFailed` if any address is
        refused or the server fails or does not answer in time."""
        recipients = [one_line(address) for address in to]
        message = self.message(recipients, self.sender, report)
        try:
            with self._connect() as smtp:
                self._secure(smtp)
                if self._username is not None:
                    smtp.login(self._username, self._password)
                refused = smtp.send_message(message, self.sender, recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._failed(_refusals(exc.recipients), _first_code(exc.recipients)) from None
        except smtplib.SMTPResponseException as exc:
            raise self._failed(_reply(exc.smtp_code, exc.smtp_error), exc.smtp_code) from None
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib's words for a silent server
                raise self._silent() from None
            raise self._failed(f"The mail server closed the connection: {exc}", None) from None
        except smtplib.SMTPException as exc:  # e.g. STARTTLS or AUTH not offered
            raise self._failed(f"The mail server: {exc}", None) from None
        except TimeoutError:
            raise self._silent() from None
        except ssl.SSLError as exc:
            raise self._failed(f"TLS with the mail server failed: {exc}", None) from None
        except OSError as exc:
            raise self._failed(
                f"Could not reach the mail server {self.host}:{self.port}: {exc.strerror or exc}",
                None,
            ) from None
        if refused:  # some took it: a retry would send it to them again, the caller decides
            raise self._failed(_refusals(refused), _first_code(refused))

    @staticmethod
    def message(to: Sequence[str], sender: str, report: Report) -> EmailMessage:
        """The e-mail of ``report``: HTML (its PNGs inline by Content-ID) with a plain-text
        alternative, and each section's CSV attached."""
        message = EmailMessage()
        message["Subject"] = one_line(report.subject)
        message["From"] = one_line(sender)
        message["To"] = ", ".join(one_line(address) for address in to)
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain="belvedere")
        message.set_content(render.text(report))
        images = {  # a section's index: (its PNG's Content-ID, the PNG)
            index: (make_msgid(domain="belvedere"), section.png)
            for index, section in enumerate(report.sections)
            if section.png is not None
        }
        ids = {index: cid[1:-1] for index, (cid, _) in images.items()}  # without <>
        message.add_alternative(render.html(report, ids), subtype="html")
        html_part = message.get_body(("html",))
        for cid, png in images.values():
            assert html_part is not None
            html_part.add_related(png, "image", "png", cid=cid)
        for section in report.sections:
            message.add_attachment(
                section.csv, "text", "csv", filename=one_line(section.csv_name) or "data.csv"
            )
        return message

    def _connect(self) -> smtplib.SMTP:
        """A connection, its greeting read (each wait bounded by the timeout)."""
        # The EHLO name is this host's name: smtplib's default looks it up in DNS, unbounded.
        name = socket.gethostname() or "localhost"
        if self.scheme == "smtps":
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=name,
                timeout=self.timeout_seconds,
                context=self._tls(),
            )
        return smtplib.SMTP(self.host, self.port, local_hostname=name, timeout=self.timeout_seconds)

    def _secure(self, smtp: smtplib.SMTP) -> None:
        """STARTTLS: required by ``smtp+starttls``, used by ``smtp`` when offered."""
        if self.scheme == "smtps":
            return
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=self._tls())
            smtp.ehlo()
        elif self.scheme == "smtp+starttls":
            raise smtplib.SMTPNotSupportedError(
                "it does not offer STARTTLS, which smtp+starttls:// requires."
            )

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _silent(self) -> DeliveryFailed:
        return self._failed(
            f"The mail server {self.host}:{self.port} did not answer within "
            f"{self.timeout_seconds:g} s.",
            None,
        )

    def _failed(self, message: str, code: int | None) -> DeliveryFailed:
        if self._password:
            message = message.replace(self._password, "***")
        return DeliveryFailed(message, status=code)


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"The mail server answered {code} {one_line(words)}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    said = "; ".join(
        f"{address}: {code} {one_line(text.decode(errors='replace'))}"
        for address, (code, text) in refused.items()
    )
    return f"The mail server refused {said}"


def _first_code(refused: dict[str, tuple[int, bytes]]) -> int | None:
    return next((code for code, _ in refused.values()), None)
