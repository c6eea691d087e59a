"""Keeping a long-running Belvedere process's native memory from growing: glibc's malloc
arenas and Arrow's memory pool.

Measured with ``bench/memory.py`` (100 chart loads, 4 to 20,000 rows): with glibc's default of
8 arenas per core, the threads that wait on warehouses each grow an arena of their own, and
Arrow's default pool (mimalloc) keeps what each thread freed in that thread's heap; together
about 120 MB more after the loads than with 2 arenas and Arrow on the system allocator, and
25 MB more without a fixed mmap threshold. An operator who sets ``MALLOC_ARENA_MAX``,
``MALLOC_MMAP_THRESHOLD_`` or ``ARROW_DEFAULT_MEMORY_POOL`` keeps their choice.

After a burst of work, malloc keeps the pages it freed; :class:`MemoryRelease` gives them back
(``malloc_trim``) once the process is idle again (a server's housekeeping does it).
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Callable

#: glibc malloc arenas (its default: 8 per core); 2 keeps threads from contending much.
ARENA_MAX = 2
#: Allocations from this size up get pages of their own, returned to the system when freed
#: (glibc's threshold otherwise rises to 32 MiB as large blocks are freed, and large pages of
#: rows then fragment the heap for good).
MMAP_THRESHOLD = 256 * 1024
#: ``mallopt``'s parameter numbers (glibc's ``malloc.h``).
M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3
ARENA_ENV = "MALLOC_ARENA_MAX"
MMAP_ENV = "MALLOC_MMAP_THRESHOLD_"
#: Read by pyarrow once, when it is imported: set before that (``belvedere/__init__.py``).
POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"
ARROW_POOL = "system"


def choose_arrow_pool() -> None:
    """Arrow on the system allocator (glibc's, bounded by the arenas), unless the environment
    chose a pool; effective only before pyarrow is imported."""
    os.environ.setdefault(POOL_ENV, ARROW_POOL)


def limit_malloc_arenas() -> None:
    """At most :data:`ARENA_MAX` malloc arenas and a fixed :data:`MMAP_THRESHOLD` (glibc only),
    each unless the environment set it; call before the process starts threads."""
    if platform.libc_ver()[0] != "glibc":
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return
    if ARENA_ENV not in os.environ:
        mallopt(M_ARENA_MAX, ARENA_MAX)
    if MMAP_ENV not in os.environ:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


#: Growth of the resident memory since the last release that makes the next one worth it.
RELEASE_AFTER_GROWTH_BYTES = 8 * 1024 * 1024


def resident_bytes() -> int:
    """This process's resident memory (``/proc/self/statm``; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def trim_malloc() -> bool:
    """Give the free pages of every malloc arena back to the system (glibc's
    ``malloc_trim(0)``; a few milliseconds); whether anything was released."""
    if platform.libc_ver()[0] != "glibc":
        return False
    malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    return bool(malloc_trim(0)) if malloc_trim is not None else False


class MemoryRelease:
    """Calls :func:`trim_malloc` when the process is idle and its resident memory grew by
    :data:`RELEASE_AFTER_GROWTH_BYTES` since the last time (so an idle server does nothing)."""

    def __init__(self, idle: Callable[[], bool]) -> None:
        self._idle = idle
        self._after_last = resident_bytes()

    def __call__(self) -> bool:
        """Release now if it is worth it; whether it ran."""
        if not self._idle() or resident_bytes() - self._after_last < RELEASE_AFTER_GROWTH_BYTES:
            return False
        trim_malloc()
        self._after_last = resident_bytes()
        return True
