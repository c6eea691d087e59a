"""Reports to a webhook: Slack-compatible JSON (``text`` and ``blocks``) with the charts as
links that expire, signed when the schedule has a secret.

The signature header is ``X-Belvedere-Signature: t=<unix time>,v1=<hex>``, the HMAC-SHA256 of
``f"{t}.{body}"`` under the secret; a receiver checks it with :func:`verify_signature`.
Redirects are followed only to the same scheme, host and port (307/308, which keep the POST).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from base64 import b64encode
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from belvedere import __version__
from belvedere.schedules.delivery.addresses import checked_address
from belvedere.schedules.delivery.report import (
    DeliveryFailed,
    Report,
    Section,
    cell,
    notes,
)

SIGNATURE_HEADER = "X-Belvedere-Signature"
#: Longest excerpt of a refusing answer's body kept in the failure's message.
EXCERPT_CHARS = 200
#: Redirects (to the same origin) followed at most.
MAX_REDIRECTS = 3
#: Rows of a table without a chart shown in the message (Slack cuts a block at 3,000 chars).
PREVIEW_ROWS = 10
_BLOCK_TEXT = 2900


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The signature header's value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: bytes,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``, at most ``tolerance_seconds`` from
    ``now`` (a replayed old request fails)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, body, timestamp).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def payload(report: Report, image_links: Sequence[str]) -> dict[str, Any]:
    """The Slack-compatible message of ``report``; ``image_links``: one per section with a PNG,
    in order."""
    links = iter(image_links)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": report.title[:150]}}
    ]
    if report.intro:
        blocks.append({"type": "section", "text": _mrkdwn(report.intro)})
    for section in report.sections:
        link = next(links, None) if section.png is not None else None
        if link is not None:
            blocks.append(
                {
                    "type": "image",
                    "image_url": link,
                    "alt_text": section.title[:2000],
                    "title": {"type": "plain_text", "text": section.title[:2000]},
                }
            )
        else:
            blocks.append({"type": "section", "text": _mrkdwn(_preview(section))})
        said = notes(section)
        if said:
            blocks.append({"type": "context", "elements": [_mrkdwn(" · ".join(said))]})
    blocks.append(
        {"type": "context", "elements": [_mrkdwn(f"<{report.link}|Open in Belvedere>", raw=True)]}
    )
    return {"text": f"{report.subject}: {report.link}", "blocks": blocks}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, *, raw: bool = False) -> dict[str, str]:
    return {"type": "mrkdwn", "text": (text if raw else _escape(text))[:_BLOCK_TEXT]}


def _preview(section: Section) -> str:
    """A section without a chart: its title and first rows, as a code block."""
    title = f"*{section.title[:200]}*"
    if not section.columns:
        return title
    lines = ["\t".join(section.columns)]
    lines += ["\t".join(cell(v) for v in row) for row in section.rows[:PREVIEW_ROWS]]
    table = "\n".join(lines)[: _BLOCK_TEXT - 300]
    total = len(section.rows)
    more = f"\n(first {PREVIEW_ROWS} of {total:,} rows)" if total > PREVIEW_ROWS else ""
    return f"{title}\n```{table}```{more}"


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to ``host`` made to an address checked beforehand."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to ``host`` made to an address checked beforehand; the certificate
    is checked against ``host``."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


class WebhookSender:
    """Posts reports to webhooks, never to a link-local address (a cloud metadata server) and,
    unless ``allow_private``, never to the server's own networks
    (:mod:`~belvedere.schedules.delivery.addresses`)."""

    def __init__(self, timeout_seconds: float, *, allow_private: bool = False) -> None:
        self.timeout_seconds = timeout_seconds
        self.allow_private = allow_private

    def send(
        self, url: str, secret: bytes | None, report: Report, image_links: Sequence[str]
    ) -> None:
        """POST ``report`` to ``url`` (blocking); :class:`DeliveryFailed` with the status and
        an excerpt of the body unless it answers 2xx in time."""
        body = json.dumps(payload(report, image_links)).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"Belvedere/{__version__}",
        }
        if secret is not None:
            headers[SIGNATURE_HEADER] = sign(secret, body, int(time.time()))
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            status, reason, location, excerpt = self._post(url, body, headers)
            if 200 <= status < 300:
                return
            if status in (307, 308) and location:
                target = urljoin(url, location)
                if _origin(target) != origin:
                    raise DeliveryFailed(
                        f"The webhook answered {status}, a redirect to another host "
                        f"({urlsplit(target).hostname}), which is not followed.",
                        status=status,
                    )
                url = target
                continue
            said = f": {excerpt}" if excerpt else ""
            raise DeliveryFailed(f"The webhook answered {status} {reason}{said}", status=status)
        raise DeliveryFailed(f"The webhook redirected more than {MAX_REDIRECTS} times.")

    def _post(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, str | None, str]:
        """One POST: the status, reason, ``Location`` and an excerpt of the body."""
        parts = urlsplit(url)
        where = f"{parts.hostname}:{_origin(url)[2]}"
        if parts.username is not None:  # https://user:password@host/...: HTTP Basic
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers = {**headers, "Authorization": "Basic " + b64encode(pair.encode()).decode()}
        _, host, port = _origin(url)
        address = checked_address(host, port, allow_private=self.allow_private)
        pinned = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = pinned(host, port, address, self.timeout_seconds)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read(4 * EXCERPT_CHARS)
            excerpt = " ".join(raw.decode(errors="replace").split())[:EXCERPT_CHARS]
            return response.status, response.reason, response.getheader("location"), excerpt
        except TimeoutError:
            raise DeliveryFailed(
                f"The webhook at {where} did not answer within {self.timeout_seconds:g} s."
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryFailed(f"Could not reach the webhook at {where}: {exc}") from None
        finally:
            connection.close()


def _origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of ``url``; :class:`DeliveryFailed` unless it is http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryFailed("A webhook URL must start with http:// or https:// and name a host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DeliveryFailed("The webhook URL's port is not a number.") from None
    return parts.scheme, parts.hostname, port
