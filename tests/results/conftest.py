"""Results stores to test, and results to store in them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from belvedere.results import FilesystemStore, FolderStore, RedisStore, ResultsStore

BUDGET = 64 * 1024 * 1024
TTL = 3600
#: Wide enough rows that a result of a few thousand is stored as several batches.
WIDTH = 1000


def new_id() -> str:
    return uuid.uuid4().hex


def table(rows: int, start: int = 0, width: int = WIDTH) -> pa.Table:
    """Rows numbered from ``start``, each with a ``width``-character text; metadata on the
    schema and on a field."""
    schema = pa.schema(
        [pa.field("n", pa.int64(), metadata={b"type": b"INT64"}), pa.field("text", pa.string())],
        metadata={b"source": b"test"},
    )
    numbers = list(range(start, start + rows))
    texts = [f"{n:08d}".ljust(width, "x") for n in numbers]
    return pa.table([pa.array(numbers, pa.int64()), pa.array(texts)], schema=schema)


def store_table(store: ResultsStore, data: pa.Table, chunks: list[int] | None = None) -> str:
    """Store ``data`` as a new run's result, written in batches of ``chunks`` rows."""
    run_id = new_id()
    writer = store.writer(run_id, data.schema)
    done = 0
    for size in chunks or [data.num_rows]:
        for batch in data.slice(done, size).to_batches():
            writer.write(batch)
        done += size
    writer.commit()
    return run_id


@pytest.fixture(params=["folder", "redis", "file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResultsStore]:
    """Each kind of results store, empty."""
    kind = request.param
    if kind == "folder":
        yield FolderStore(tmp_path / "results", BUDGET)
    elif kind == "redis":
        server = request.getfixturevalue("redis")
        redis_store = RedisStore(server.url(), BUDGET, TTL)
        yield redis_store
        redis_store.client.close()
    elif kind == "file":
        yield FilesystemStore((tmp_path / "shared").as_uri(), BUDGET, TTL)
    else:
        yield FilesystemStore(f"memory://results-{new_id()}", BUDGET, TTL)
