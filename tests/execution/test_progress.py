"""The progress board: what a worker reports of a running query reaches the board over the
bus, an ended run is forgotten, and a malformed message changes nothing."""

from __future__ import annotations

from belvedere.cluster.bus import LocalBus, Topic
from belvedere.execution.progress import ProgressBoard
from belvedere.warehouses.base import QueryProgress


def test_a_report_is_heard_and_forgotten_when_the_run_ends() -> None:
    bus = LocalBus()
    board = ProgressBoard(bus)
    board.report("r1", QueryProgress(bytes_processed=1024, slot_ms=3400))
    assert board.get("r1") == QueryProgress(bytes_processed=1024, slot_ms=3400)
    assert board.get("r2") is None
    bus.publish(Topic.RUN_ENDED, {"run": "r1"})
    assert board.get("r1") is None


def test_malformed_counts_are_dropped() -> None:
    bus = LocalBus()
    board = ProgressBoard(bus)
    bus.publish(Topic.RUN_PROGRESS, {"run": "r1", "bytes_processed": "lots", "slot_ms": -5})
    assert board.get("r1") == QueryProgress()
    bus.publish(Topic.RUN_PROGRESS, {"run": 7, "bytes_processed": 1})
    assert board.get("7") is None
