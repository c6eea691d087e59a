"""Checks of the process Belvedere runs in: no gevent or eventlet monkey-patching."""

from __future__ import annotations

import sys

MONKEY_PATCH_MESSAGE = (
    "Belvedere refuses to start: the standard library was monkey-patched by {lib}. "
    "Under gevent/eventlet, gRPC inside the BigQuery SDK deadlocks (the job finishes on "
    "BigQuery but its result never comes back, and the worker hangs). "
    "Fix: run `belvedere serve` (uvicorn on asyncio, blocking calls on real threads), or a "
    "gunicorn worker class that does not patch (uvicorn.workers.UvicornWorker, gthread); "
    "never `-k gevent` or `-k eventlet`, and do not import code that calls monkey.patch_all()."
)


def monkey_patching() -> str | None:
    """Which library patched the standard library, if any."""
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and any(
        gevent_monkey.is_module_patched(name) for name in ("threading", "socket", "select")
    ):
        return "gevent"
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is not None and any(
        patcher.is_monkey_patched(name) for name in ("thread", "socket", "select")
    ):
        return "eventlet"
    return None


def refuse_monkey_patching() -> None:
    """Exit with an explanation if the process is monkey-patched."""
    lib = monkey_patching()
    if lib is not None:
        raise SystemExit(MONKEY_PATCH_MESSAGE.format(lib=lib))
