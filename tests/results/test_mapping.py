"""The folder store reads pages memory-mapped: once a page is answered, its file is no longer
mapped in the process (an operator sees no result file in ``/proc/PID/maps``, and a result
evicted later frees its disk space)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from belvedere.results import FolderStore
from tests.results.conftest import BUDGET, store_table, table

MAPS = Path("/proc/self/maps")
pytestmark = pytest.mark.skipif(not MAPS.exists(), reason="needs /proc/self/maps (Linux)")


def mapped(path: Path) -> bool:
    """Whether this process maps ``path`` now."""
    return str(path) in MAPS.read_text()


def test_a_page_once_answered_leaves_its_file_unmapped(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "results", BUDGET)
    run_id = store_table(store, table(3000), chunks=[1000, 2000])
    path = store.path(run_id)
    page = store.page(run_id, 0, 10)  # within one batch: rows straight from the mapped file
    assert page.rows.num_rows == 10
    del page
    gc.collect()
    assert not mapped(path)


def test_an_export_and_a_schema_read_leave_no_file_mapped(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "results", BUDGET)
    run_id = store_table(store, table(3000), chunks=[1000, 2000])
    path = store.path(run_id)
    assert store.schema(run_id).names == ["n", "text"]
    assert sum(b.num_rows for b in store.batches(run_id)) == 3000
    first = next(iter(store.batches(run_id)))  # an export the client left after one batch
    del first
    gc.collect()
    assert not mapped(path)
