"""What the broker's Redis says about the installation: messages waiting per queue."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from belvedere.cluster.celery import WorkQueue

if TYPE_CHECKING:
    import redis


def queue_depths(client: redis.Redis) -> dict[str, int]:
    """Messages waiting in each queue (``embedded``, ``remote``), not yet taken by a worker
    (raises ``redis.RedisError``)."""
    pipe = client.pipeline(transaction=False)
    for queue in WorkQueue:
        pipe.llen(queue.routing_name)
    lengths = pipe.execute()
    return {queue.value: int(n) for queue, n in zip(WorkQueue, lengths, strict=True)}


def queue_of(name: str) -> str:
    """A queue's short name (``embedded``) from either spelling (``belvedere.embedded``)."""
    return name.removeprefix("belvedere.")


#: Query parameters that carry credentials (``unix:///redis.sock?password=``,
#: ``s3://bucket?secret_key=``), masked like a password.
_SECRET_PARAMS = re.compile(r"pass|secret|token|key|credential", re.IGNORECASE)


def without_password(url: str) -> str:
    """``url`` as shown to an operator: its password, and query parameters that carry
    credentials, masked."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(_SECRET_PARAMS.search(name) for name, _ in pairs):
        query = [(name, "***" if _SECRET_PARAMS.search(name) else value) for name, value in pairs]
        # Rebuilt by hand: urlunsplit would turn ``unix:///path`` into ``unix:/path``.
        url = url.replace("?" + parts.query, "?" + urlencode(query, safe="*"), 1)
        parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
