"""Small results kept in memory a moment for the request that waited for them: bounded in
size, in total and in time."""

from __future__ import annotations

import pyarrow as pa

from belvedere.execution.fresh import KEPT_SECONDS, MAX_BYTES, MAX_ROWS, TOTAL_BYTES, FreshResults


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rows(count: int) -> pa.Table:
    return pa.table({"n": pa.array(range(count), pa.int64())})


def test_a_small_result_is_kept_for_one_read_until_it_is_stale() -> None:
    clock = Clock()
    fresh = FreshResults(timer=clock)
    fresh.keep("a", rows(4))
    fresh.keep("b", rows(4))
    kept = fresh.take("a")
    assert kept is not None and kept.column("n").to_pylist() == [0, 1, 2, 3]
    assert fresh.take("a") is None  # the first read only
    clock.now += KEPT_SECONDS + 1
    assert fresh.take("b") is None


def test_results_beyond_the_bounds_are_not_kept() -> None:
    fresh = FreshResults()
    fresh.keep("many rows", rows(MAX_ROWS + 1))
    wide = pa.table({"text": ["x" * (MAX_BYTES + 1)]})
    fresh.keep("many bytes", wide)
    assert fresh.take("many rows") is None and fresh.take("many bytes") is None


def test_the_oldest_go_first_beyond_the_total() -> None:
    fresh = FreshResults()
    each = rows(MAX_ROWS)  # 40,000 bytes of int64
    count = TOTAL_BYTES // each.nbytes + 5
    for n in range(count):
        fresh.keep(str(n), each)
    assert fresh.take("0") is None and fresh.take(str(count - 1)) is not None
