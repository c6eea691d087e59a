"""The filesystem results store: hosts sharing a URL share results; old results are swept;
nothing half-written is left."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from belvedere.results import FilesystemStore, FolderStore, ResultMissing
from tests.results.conftest import BUDGET, TTL, new_id, store_table, table


def test_two_hosts_on_one_url_see_each_others_results(tmp_path: Path) -> None:
    url = (tmp_path / "shared").as_uri()
    one, two = FilesystemStore(url, BUDGET, TTL), FilesystemStore(url, BUDGET, TTL)
    data = table(1500)
    run_id = store_table(one, data)
    assert two.exists(run_id)
    assert two.page(run_id, 1000, 10).rows.equals(data.slice(1000, 10))
    assert two.total_bytes() == one.total_bytes() > 0
    two.delete(run_id)
    with pytest.raises(ResultMissing):
        one.page(run_id, 0, 1)


def test_only_published_results_are_left(tmp_path: Path) -> None:
    store = FilesystemStore((tmp_path / "shared").as_uri(), BUDGET, TTL)
    kept = store_table(store, table(10))
    aborted = store.writer(new_id(), table(10).schema)
    aborted.write(table(10).to_batches()[0])
    aborted.abort()
    assert os.listdir(tmp_path / "shared") == [f"{kept}.arrow"]


def test_a_sweep_deletes_results_older_than_the_ttl(tmp_path: Path) -> None:
    store = FilesystemStore((tmp_path / "shared").as_uri(), BUDGET, 600)
    old, new = store_table(store, table(10)), store_table(store, table(10))
    long_ago = time.time() - 601
    os.utime(tmp_path / "shared" / f"{old}.arrow", (long_ago, long_ago))
    assert store.sweep() == 1
    assert not store.exists(old)
    assert store.exists(new)
    assert store.total_bytes() == (tmp_path / "shared" / f"{new}.arrow").stat().st_size


def test_beyond_the_budget_the_oldest_results_go(tmp_path: Path) -> None:
    store = FilesystemStore((tmp_path / "shared").as_uri(), 3 * 1024 * 1024, TTL)
    data = pa.table({"blob": pa.array([os.urandom(10_000) for _ in range(120)], pa.binary())})
    first = store_table(store, data)
    os.utime(tmp_path / "shared" / f"{first}.arrow", (time.time() - 10, time.time() - 10))
    second, third = store_table(store, data), store_table(store, data)
    assert not store.exists(first)
    assert store.exists(second) and store.exists(third)
    assert store.total_bytes() <= 3 * 1024 * 1024


def test_a_url_no_filesystem_opens_is_refused() -> None:
    with pytest.raises(ValueError, match="no filesystem opens"):
        FilesystemStore("nosuchscheme://bucket/prefix", BUDGET, TTL)


def test_a_folder_result_of_uneven_batches_still_pages(tmp_path: Path) -> None:
    """A result stored before batches were made even (no row count in its schema)."""
    store = FolderStore(tmp_path / "results", BUDGET)
    run_id = new_id()
    data = table(100, width=10)
    with ipc.new_file(str(tmp_path / "results" / f"{run_id}.arrow"), data.schema) as writer:
        for start, size in ((0, 7), (7, 50), (57, 43)):
            writer.write_batch(data.slice(start, size).to_batches()[0])
    page = store.page(run_id, 5, 60)
    assert page.total_rows == 100
    assert page.rows.equals(data.slice(5, 60))
