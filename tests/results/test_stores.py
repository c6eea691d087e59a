"""What every results store does alike: store, page, read back, delete, and say a result is
missing."""

from __future__ import annotations

import pyarrow as pa
import pytest

from belvedere.results import ResultMissing, ResultsStore
from tests.results.conftest import new_id, store_table, table


def test_pages_read_the_rows_asked_for_across_batches(store: ResultsStore) -> None:
    data = table(3510)
    run_id = store_table(store, data, chunks=[3, 1000, 0, 2500, 7])
    for offset, limit in [(0, 10), (995, 20), (1040, 2000), (3500, 100), (3510, 5), (9000, 5)]:
        page = store.page(run_id, offset, limit)
        assert page.total_rows == 3510
        assert page.offset == offset
        assert page.rows.equals(data.slice(offset, limit))
        assert page.schema == data.schema


def test_schema_and_batches_are_as_written(store: ResultsStore) -> None:
    data = table(2500)
    run_id = store_table(store, data, chunks=[1200, 1300])
    schema = store.schema(run_id)
    assert schema.equals(data.schema, check_metadata=True)
    batches = list(store.batches(run_id))
    assert len(batches) > 1
    assert pa.Table.from_batches(batches).equals(data, check_metadata=True)


def test_an_empty_result_has_its_schema_and_no_rows(store: ResultsStore) -> None:
    data = table(0)
    run_id = store_table(store, data, chunks=[0])
    page = store.page(run_id, 0, 10)
    assert (page.total_rows, page.rows.num_rows) == (0, 0)
    assert store.schema(run_id).equals(data.schema, check_metadata=True)
    assert list(store.batches(run_id)) == []


def test_a_result_is_seen_once_committed_and_gone_once_deleted(store: ResultsStore) -> None:
    data = table(10)
    run_id = new_id()
    writer = store.writer(run_id, data.schema)
    writer.write(data.to_batches()[0])
    assert writer.rows == 10
    assert not store.exists(run_id)
    size = writer.commit()
    assert size > 0
    assert store.exists(run_id)
    assert store.total_bytes() >= size
    store.delete(run_id)
    assert not store.exists(run_id)
    with pytest.raises(ResultMissing):
        store.page(run_id, 0, 10)
    store.delete(run_id)  # deleting what is gone does nothing


def test_an_aborted_result_leaves_nothing(store: ResultsStore) -> None:
    before = store.total_bytes()
    data = table(100)
    run_id = new_id()
    writer = store.writer(run_id, data.schema)
    writer.write(data.to_batches()[0])
    writer.abort()
    assert not store.exists(run_id)
    assert store.total_bytes() == before


@pytest.mark.parametrize(
    "run_id", [new_id(), "../../etc/passwd", "a:b"], ids=["unknown", "path", "colon"]
)
def test_a_missing_result_says_so(store: ResultsStore, run_id: str) -> None:
    with pytest.raises(ResultMissing):
        store.page(run_id, 0, 10)
    with pytest.raises(ResultMissing):
        store.schema(run_id)
    with pytest.raises(ResultMissing):
        list(store.batches(run_id))


def test_describe_says_how_full_the_store_is(store: ResultsStore) -> None:
    store_table(store, table(10))
    assert store.describe().endswith("of 64.0 MB)")
    assert store.sweep() == 0  # nothing is old enough
