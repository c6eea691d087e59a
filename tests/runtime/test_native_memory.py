"""Memory freed by a burst of work goes back to the system once the process is idle."""

from __future__ import annotations

import ctypes
import platform

import pytest

from belvedere.native_memory import (
    RELEASE_AFTER_GROWTH_BYTES,
    MemoryRelease,
    resident_bytes,
    trim_malloc,
)

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")


def _burst(blocks: int = 256, size: int = 64 * 1024) -> int:
    """Allocate many blocks below the mmap threshold and free all but the newest (so malloc
    cannot give the freed ones back by shrinking its heap); returns the one kept."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    pointers = []
    for _ in range(blocks + 1):
        pointer = libc.malloc(size)
        ctypes.memset(pointer, 1, size)  # resident
        pointers.append(pointer)
    pin: int = pointers.pop()  # the heap's newest block, above the others
    for pointer in pointers:
        libc.free(pointer)
    return pin


@glibc
def test_memory_freed_by_a_burst_goes_back_once_idle() -> None:
    busy = True
    trim_malloc()  # what the process freed before (other tests) must not serve the burst
    release = MemoryRelease(lambda: not busy)
    pin = _burst()  # 16 MiB freed but resident
    try:
        grown = resident_bytes()
        assert not release(), "released while work was running"
        busy = False
        assert release()
        assert resident_bytes() < grown - RELEASE_AFTER_GROWTH_BYTES
        assert not release(), "nothing grew since: nothing to do"
    finally:
        ctypes.CDLL(None).free(ctypes.c_void_p(pin))


def test_an_idle_process_that_did_not_grow_releases_nothing() -> None:
    release = MemoryRelease(lambda: True)
    assert not release()
