"""The ``spend`` table of the built-in connection: one row per run, read from the metadata
store for one asker (an admin: everyone's runs; anyone else: those charged to them, see
:mod:`belvedere.store.payer`), made into the table by each query's engine (the day in the
asker's time zone, the cost at the configured price)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from cachetools import TTLCache
from sqlalchemy import select

from belvedere.store.db import Database
from belvedere.store.models import Chart, Dashboard, QueryRun, User
from belvedere.store.payer import PAYER, paid_by
from belvedere.warehouses.base import ColumnInfo

#: The built-in connection's name: reserved, never stored.
INTERNAL_CONNECTION = "belvedere"
TIB = 2**40
#: How long runs read for one asker answer their next queries too (a page draws five charts
#: at once: one read of the store), and for how many askers at once.
RUNS_TTL_SECONDS = 5.0
RUNS_KEPT = 32

#: The columns read from the store, as Arrow types.
RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("submitted_at", pa.timestamp("us", tz="UTC")),
        ("user", pa.string()),
        ("connection", pa.string()),
        ("surface", pa.string()),
        ("chart_id", pa.int64()),
        ("chart", pa.string()),
        ("dashboard_id", pa.int64()),
        ("dashboard", pa.string()),
        ("bytes_processed", pa.int64()),
        ("bytes_billed", pa.int64()),
    ]
)

#: The columns of ``spend``: name, the engine's type, what it holds.
SPEND_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("run_id", "VARCHAR", "The run's id."),
    ("day", "DATE", "The day it was submitted, in your time zone."),
    ("submitted_at", "TIMESTAMP WITH TIME ZONE", "When it was submitted."),
    (
        "user",
        "VARCHAR",
        "Who pays for it: who ran it, or the owner of a schedule run as each recipient "
        "(a command-line run: its operator).",
    ),
    ("connection", "VARCHAR", "The connection it ran on."),
    ("surface", "VARCHAR", "Where it started: sqllab, api, cli, chart, dashboard, schedule."),
    ("chart_id", "BIGINT", "The saved chart it drew, if any."),
    ("chart", "VARCHAR", "That chart's name."),
    ("dashboard_id", "BIGINT", "The dashboard it was drawn on, if any."),
    ("dashboard", "VARCHAR", "That dashboard's title."),
    ("bytes_processed", "BIGINT", "Bytes the warehouse processed (BigQuery), if known."),
    ("bytes_billed", "BIGINT", "Bytes the warehouse billed (BigQuery), if known."),
    ("cost", "DOUBLE", "Bytes billed at the configured price per TiB."),
)
SPEND_INFO = tuple(ColumnInfo(name, kind, True, text) for name, kind, text in SPEND_COLUMNS)
#: ``spend`` from ``runs``: parameters the asker's time zone and the price per TiB.
SPEND_SQL = (
    'CREATE TABLE spend AS SELECT run_id, CAST(timezone($zone, submitted_at) AS DATE) AS "day", '
    'submitted_at, "user", "connection", surface, chart_id, chart, dashboard_id, dashboard, '
    f"bytes_processed, bytes_billed, bytes_billed / {TIB} * $price AS cost FROM runs"
)


@dataclass(frozen=True)
class SpendScope:
    """Whose runs one asker sees (``user_id`` ``None``: everyone's), the zone of their days
    and the price of a TiB billed; ``rows`` reads the runs (blocking)."""

    user_id: int | None
    zone: ZoneInfo
    rows: SpendRows

    def runs(self) -> pa.Table:
        """The asker's runs (see :data:`RUNS_SCHEMA`)."""
        return self.rows.runs(self.user_id)

    @property
    def parameters(self) -> dict[str, Any]:
        """The parameters of :data:`SPEND_SQL`."""
        return {"zone": self.zone.key, "price": self.rows.price_per_tib}


class SpendRows:
    """Reads runs from the metadata store (blocking); a read answers the same asker's queries
    for a few seconds."""

    def __init__(self, db: Database, price_per_tib: float) -> None:
        self._db = db
        self.price_per_tib = price_per_tib
        self._kept: TTLCache[int | None, pa.Table] = TTLCache(RUNS_KEPT, RUNS_TTL_SECONDS)
        self._lock = threading.Lock()
        self._reading: dict[int | None, threading.Lock] = {}

    def runs(self, user_id: int | None) -> pa.Table:
        """Runs charged to ``user_id`` (``None``: everyone's), but those of the built-in
        connection (reading records bills nothing): read once by concurrent queries of one
        asker."""
        with self._lock:
            reading = self._reading.setdefault(user_id, threading.Lock())
        with reading:
            with self._lock:
                kept = self._kept.get(user_id)
            if kept is not None:
                return kept
            table = self._read(user_id)
            with self._lock:
                self._kept[user_id] = table
            return table

    def _read(self, user_id: int | None) -> pa.Table:
        where = [QueryRun.connection_name != INTERNAL_CONNECTION]
        if user_id is not None:
            where.append(paid_by([user_id]))
        query = (
            select(
                QueryRun.id,
                QueryRun.submitted_at,
                User.username,
                QueryRun.actor,
                QueryRun.connection_name,
                QueryRun.surface,
                QueryRun.chart_id,
                Chart.name,
                QueryRun.dashboard_id,
                Dashboard.title,
                QueryRun.bytes_processed,
                QueryRun.bytes_billed,
            )
            .outerjoin(User, User.id == PAYER)
            .outerjoin(Chart, Chart.id == QueryRun.chart_id)
            .outerjoin(Dashboard, Dashboard.id == QueryRun.dashboard_id)
            .where(*where)
        )
        with self._db.session() as session:
            found = session.execute(query).all()
        if not found:
            return RUNS_SCHEMA.empty_table()
        run_id, at, username, actor, *rest = zip(*found, strict=True)
        user = [name or who for name, who in zip(username, actor, strict=True)]
        columns = [run_id, at, user, *rest]
        return pa.table(
            [pa.array(c, f.type) for c, f in zip(columns, RUNS_SCHEMA, strict=True)],
            schema=RUNS_SCHEMA,
        )
