"""The Redis results store: results expire, the budget holds for every host at once, a result
beyond it is refused, pages read parts of a value, and an outage is told as such."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pyarrow as pa
import pytest

from belvedere.results import RedisStore, ResultMissing, ResultsUnavailable, ResultTooLarge
from belvedere.results.redis import KEY_PREFIX
from tests.results.conftest import new_id, store_table, table
from tests.support.servers.redis import RedisServer

MB = 1024 * 1024


def noise(size: int) -> pa.Table:
    """About ``size`` bytes that do not compress, in rows of 10 kB."""
    rows = max(size // 10_000, 1)
    return pa.table({"blob": pa.array([os.urandom(10_000) for _ in range(rows)], pa.binary())})


@pytest.fixture
def make_store(redis: RedisServer) -> Iterator[Callable[..., RedisStore]]:
    made: list[RedisStore] = []

    def make(budget_mb: int = 64, ttl_seconds: int = 3600) -> RedisStore:
        store = RedisStore(redis.url(), budget_mb * MB, ttl_seconds)
        made.append(store)
        return store

    yield make
    for store in made:
        store.client.close()


def stored_bytes(redis: RedisServer) -> int:
    with redis.client() as client:
        return sum(int(client.strlen(key)) for key in client.scan_iter(KEY_PREFIX + "*"))


def test_a_result_expires_after_the_ttl(make_store: Callable[..., RedisStore]) -> None:
    store = make_store(ttl_seconds=600)
    run_id = store_table(store, table(10))
    assert 590 <= store.client.ttl(KEY_PREFIX + run_id) <= 600


def test_an_expired_result_is_missing_and_no_longer_counted(
    make_store: Callable[..., RedisStore],
) -> None:
    store = make_store(ttl_seconds=1)
    run_id = store_table(store, table(10))
    assert store.total_bytes() > 0
    deadline = time.monotonic() + 10
    while store.exists(run_id):
        assert time.monotonic() < deadline, "the result did not expire"
        time.sleep(0.05)
    with pytest.raises(ResultMissing):
        store.page(run_id, 0, 1)
    assert store.total_bytes() == 0


def test_beyond_the_budget_the_oldest_results_go(
    make_store: Callable[..., RedisStore], redis: RedisServer
) -> None:
    store = make_store(budget_mb=1)
    first, second, third = (store_table(store, noise(400_000)) for _ in range(3))
    assert not store.exists(first)
    with pytest.raises(ResultMissing):
        store.page(first, 0, 1)
    assert store.exists(second) and store.exists(third)
    assert store.total_bytes() == stored_bytes(redis) <= MB


def test_the_budget_holds_for_writers_on_many_hosts(
    make_store: Callable[..., RedisStore], redis: RedisServer
) -> None:
    hosts = [make_store(budget_mb=2) for _ in range(4)]
    errors: list[BaseException] = []

    def write(store: RedisStore) -> None:
        try:
            for _ in range(5):
                store_table(store, noise(150_000))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert hosts[0].total_bytes() == stored_bytes(redis) <= 2 * MB


def test_a_result_beyond_the_budget_is_refused_while_written(
    make_store: Callable[..., RedisStore],
) -> None:
    store = make_store(budget_mb=1)
    data = noise(3 * MB)
    run_id = new_id()
    writer = store.writer(run_id, data.schema)

    def write_all() -> None:
        for batch in data.to_batches(max_chunksize=10):
            writer.write(batch)

    with pytest.raises(ResultTooLarge, match="filesystem results store"):
        write_all()
    assert writer.rows < data.num_rows  # refused before the end
    writer.abort()
    assert not store.exists(run_id)


def test_a_page_reads_a_part_of_a_large_result(
    make_store: Callable[..., RedisStore], redis: RedisServer
) -> None:
    store = make_store()
    run_id = store_table(store, noise(8 * MB))

    def sent() -> int:
        with redis.client() as client:
            return int(client.info("stats")["total_net_output_bytes"])

    before = sent()
    page = store.page(run_id, 0, 5)
    assert page.rows.num_rows == 5
    assert page.total_rows == 8 * MB // 10_000
    assert sent() - before < 3 * MB


def test_redis_stopped_is_told_as_unavailable(
    make_store: Callable[..., RedisStore], redis: RedisServer
) -> None:
    store = make_store()
    run_id = store_table(store, table(10))
    redis.stop()
    message = "The results store (Redis) is unreachable."
    with pytest.raises(ResultsUnavailable, match=message.replace("(", r"\(").replace(")", r"\)")):
        store.page(run_id, 0, 1)
    with pytest.raises(ResultsUnavailable):
        store.exists(run_id)
    with pytest.raises(ResultsUnavailable):
        store_table(store, table(10))
    with pytest.raises(ResultsUnavailable):
        store.describe()


def test_describe_names_the_server_without_credentials(redis: RedisServer) -> None:
    store = RedisStore(f"redis://user:secret@127.0.0.1:{redis.port}/3", MB, 60)
    with pytest.raises(ResultsUnavailable) as caught:
        store.describe()  # the test server has no such user
    assert "secret" not in str(caught.value)
    store = RedisStore(redis.url(2), MB, 60)
    assert store.describe() == f"redis://127.0.0.1:{redis.port}/2 (0 B of 1.0 MB)"
