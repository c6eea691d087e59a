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
from belvedere.store.models import Chart, Dashboard
from belvedere.store.spend_runs import INTERNAL_CONNECTION as INTERNAL_CONNECTION
from belvedere.store.spend_runs import spend_runs
from belvedere.warehouses.base import ColumnInfo

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
    (
        "surface",
        "VARCHAR",
        "Where it started: sqllab, api, cli, chart, dashboard, schedule; probe (the chart "
        "builder learning columns, listed only when it billed).",
    ),
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
        runs = spend_runs(user_id)
        query = (
            select(
                runs.c.run_id,
                runs.c.submitted_at,
                runs.c.user,
                runs.c.connection,
                runs.c.surface,
                runs.c.chart_id,
                Chart.name,
                runs.c.dashboard_id,
                Dashboard.title,
                runs.c.bytes_processed,
                runs.c.bytes_billed,
            )
            .select_from(runs)
            .outerjoin(Chart, Chart.id == runs.c.chart_id)
            .outerjoin(Dashboard, Dashboard.id == runs.c.dashboard_id)
        )
        with self._db.session() as session:
            found = session.execute(query).all()
        if not found:
            return RUNS_SCHEMA.empty_table()
        columns = zip(*found, strict=True)
        return pa.table(
            [pa.array(c, f.type) for c, f in zip(columns, RUNS_SCHEMA, strict=True)],
            schema=RUNS_SCHEMA,
        )
