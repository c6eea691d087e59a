"""Streaming a blocking iterator (rows read from the metadata store or result files) to a
response without blocking the event loop: each chunk is read on a lane."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

from belvedere.concurrency import Lane

T = TypeVar("T")


async def on_lane(lane: Lane, chunks: Iterator[T]) -> AsyncIterator[T]:
    """Yield ``chunks``, each read on ``lane`` (one at a time, in order)."""
    done = object()
    while (chunk := await lane.run(next, chunks, done)) is not done:
        yield chunk  # type: ignore[misc]
