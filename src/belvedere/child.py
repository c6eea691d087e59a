"""Work done once in a child process (``python -m MODULE``), so that the memory it takes goes
back to the system when it ends: building the demo warehouse, applying migrations."""

from __future__ import annotations

import subprocess
import sys
from typing import NoReturn


def run_module(module: str, *args: str, stdin: str | None = None, timeout: float) -> str | None:
    """Run ``python -m module args`` (``stdin`` on its standard input: a secret stays off the
    command line); ``None`` once it succeeded, else what failed, in one line."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]


def exit_with(exc: BaseException) -> NoReturn:
    """End a child process, saying in one line what failed (what :func:`run_module` tells)."""
    lines = str(exc).splitlines()
    sys.exit(f"{type(exc).__name__}: {lines[0] if lines else ''}")
