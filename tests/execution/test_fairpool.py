"""The fair pool: a key runs at most its share of threads at once, the next job is taken
round-robin across keys, and jobs of no key are never capped."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from belvedere.concurrency.fairpool import FairPool


@pytest.fixture
def pool() -> Iterator[FairPool]:
    pool = FairPool(2, per_key=1, thread_name_prefix="test-fair")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def test_a_key_over_its_share_waits_while_another_key_runs(pool: FairPool) -> None:
    release = threading.Event()
    started: list[str] = []
    lock = threading.Lock()

    def job(name: str) -> str:
        with lock:
            started.append(name)
        release.wait(10)
        return name

    a1 = pool.submit_for("a", job, "a1")
    a2 = pool.submit_for("a", job, "a2")
    b1 = pool.submit_for("b", job, "b1")
    while len(started) < 2:  # both threads take a job; "a" only one of them
        threading.Event().wait(0.01)
    assert sorted(started) == ["a1", "b1"]
    release.set()
    assert [f.result(10) for f in (a1, a2, b1)] == ["a1", "a2", "b1"]


def test_jobs_of_no_key_are_not_capped(pool: FairPool) -> None:
    both = threading.Barrier(2, timeout=10)
    futures = [pool.submit(both.wait) for _ in range(2)]  # deadlocks if capped at one
    assert sorted(f.result(10) for f in futures) == [0, 1]


def test_errors_reach_the_future_and_shutdown_cancels_what_waits() -> None:
    pool = FairPool(1, per_key=1, thread_name_prefix="test-fair")
    gate = threading.Event()
    failing = pool.submit_for("a", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(10)
    started = threading.Event()

    def block() -> bool:
        started.set()
        return gate.wait(10)

    blocker = pool.submit_for("a", block)
    waiting = pool.submit_for("a", lambda: "never")
    assert started.wait(10)
    pool.shutdown(wait=False, cancel_futures=True)
    gate.set()
    assert blocker.result(10) is True
    assert waiting.cancelled()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
