"""What a test's stand-in saw, in order, under the stand-in's own lock: read a copy, wait for
an item that matches, forget them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Generic, TypeVar

T = TypeVar("T", bound=Any)  # a dataclass


class Recorded(Generic[T]):
    """Items (dataclasses) appended by a stand-in's threads and read by the test's."""

    def __init__(self, lock: threading.Condition, what: str) -> None:
        self._lock = lock
        self._what = what
        self.items: list[T] = []
        """The items themselves: touch them only while holding the lock."""

    def add(self, item: T) -> None:
        """Record an item and wake the waiters."""
        with self._lock:
            self.items.append(item)
            self._lock.notify_all()

    def copies(self) -> list[T]:
        """Copies of the items so far."""
        with self._lock:
            return [replace(item) for item in self.items]

    def wait_for(self, predicate: Callable[[T], bool], timeout: float = 10.0) -> T:
        """Wait until an item matches ``predicate``; returns a copy of the first that does."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for item in self.items:
                    if predicate(item):
                        return replace(item)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching {self._what} within {timeout} s")
                self._lock.wait(left)

    def clear(self) -> None:
        """Forget the items."""
        with self._lock:
            self.items.clear()
