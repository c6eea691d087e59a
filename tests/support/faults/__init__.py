"""Proxies of the tests' own, between a client under test and a real server, with faults.

The BigQuery emulator has no latency or fault options, so the BigQuery tests put these in front:
:class:`HttpProxy` (:mod:`.http`) for its REST API and :class:`TcpProxy` (:mod:`.tcp`) for its
gRPC Storage Read API; :mod:`.rest` holds what the HTTP proxy records and the BigQuery-shaped
answers it makes up. Nothing here needs the internet.
"""

from tests.support.faults.http import HttpProxy
from tests.support.faults.rest import (
    HeaderRewrite,
    Predicate,
    RecordedRequest,
    Refuse,
    bq_error,
    kind_is,
    mentions,
)
from tests.support.faults.tcp import TcpConnection, TcpProxy

__all__ = [
    "HeaderRewrite",
    "HttpProxy",
    "Predicate",
    "RecordedRequest",
    "Refuse",
    "TcpConnection",
    "TcpProxy",
    "bq_error",
    "kind_is",
    "mentions",
]
