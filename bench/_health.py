"""``python -m bench._health URL PACE``: ``GET URL/health`` every PACE seconds, in a process of
its own so that the benchmark's busy clients never delay it.

Prints ``ready`` once the first request answered, polls until its stdin closes, then prints one
JSON line: ``[[sent, seconds, ok], ...]`` (``sent``: ``time.monotonic()``, the same clock as
the parent's on Linux).
"""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx


def _wait_for_eof(stop: threading.Event) -> None:
    sys.stdin.read()
    stop.set()


def main(url: str, pace: float) -> None:
    stop = threading.Event()
    threading.Thread(target=_wait_for_eof, args=(stop,), daemon=True).start()
    polls: list[tuple[float, float, bool]] = []
    with httpx.Client(base_url=url, timeout=10.0) as client:
        client.get("/health").raise_for_status()
        print("ready", flush=True)
        while not stop.is_set():
            sent = time.monotonic()
            start = time.perf_counter()
            try:
                ok = client.get("/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            elapsed = time.perf_counter() - start
            polls.append((sent, elapsed, ok))
            stop.wait(max(pace - elapsed, 0))
    print(json.dumps(polls), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
