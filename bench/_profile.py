"""``python -m bench._profile OUT.prof serve``: the ``belvedere`` command under cProfile.

cProfile sees one thread only, so every thread (event loop, pools) gets its own profiler; at
exit their statistics are merged into ``OUT.prof`` (read it with ``python -m pstats``), and the
main thread's, the event loop's, are also written alone to ``OUT.loop.prof``. The
clock is each thread's CPU time, or wall time with ``BENCH_PROFILE_CLOCK=wall``. SIGUSR1 forgets
what was recorded so far, so that start-up and warm-up stay out of the figures.
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from belvedere.cli.main import cli

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()
_CLOCK = time.perf_counter if os.environ.get("BENCH_PROFILE_CLOCK") == "wall" else time.thread_time


def _new_profile() -> cProfile.Profile:
    profile = cProfile.Profile(_CLOCK)
    with _lock:
        _profiles.append(profile)
    return profile


def _on_thread_start(_frame: FrameType, _event: str, _arg: Any) -> None:
    """A new thread's first event: swap this hook for the thread's own profiler."""
    sys.setprofile(None)
    _new_profile().enable()


def _forget(_signum: int, _frame: FrameType | None) -> None:
    with _lock:
        for profile in _profiles:
            profile.clear()


def run(out: str, argv: list[str]) -> None:
    """Run the ``belvedere`` command line with ``argv``, profiled; write the stats to ``out``."""
    signal.signal(signal.SIGUSR1, _forget)
    threading.setprofile(_on_thread_start)
    main_profile = _new_profile()
    main_profile.enable()
    try:
        cli.main(argv, prog_name="belvedere", standalone_mode=False)
    finally:
        main_profile.disable()
        with _lock:
            profiles = list(_profiles)
        # The main thread runs the event loop: its own figures tell what holds the loop up.
        pstats.Stats(profiles[0]).dump_stats(f"{out.removesuffix('.prof')}.loop.prof")
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            with contextlib.suppress(TypeError):  # a thread that recorded nothing since reset
                stats.add(profile)
        stats.dump_stats(out)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
