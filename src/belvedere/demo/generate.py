"""Build the demo warehouse file from :file:`shop.sql`; nothing is downloaded."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from belvedere.child import exit_with, run_module

SCRIPT = Path(__file__).with_name("shop.sql")
#: The longest a child process may take to build the demo (about ten seconds on a laptop).
CHILD_TIMEOUT_SECONDS = 600.0


class DemoFailed(RuntimeError):
    """The child process that builds the demo failed."""


def generate_demo(path: Path) -> None:
    """Write the demo database to ``path`` (atomically: a partial file is never left)."""
    import duckdb  # here: a server builds the demo in a child (generate_demo_in_child)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(tmp), config={"enable_external_access": False}) as con:
            con.execute(SCRIPT.read_text())
            con.execute("CHECKPOINT")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)


def generate_demo_in_child(path: Path) -> None:
    """:func:`generate_demo` in a child process, so that the memory DuckDB takes to build it
    (about 35 MB a server would otherwise keep) goes back to the system when it ends; raises
    :class:`DemoFailed` with the child's error."""
    failed = run_module("belvedere.demo.generate", str(path), timeout=CHILD_TIMEOUT_SECONDS)
    if failed is not None:
        raise DemoFailed(f"generating the demo warehouse at {path} failed: {failed}")


if __name__ == "__main__":
    try:
        generate_demo(Path(sys.argv[1]))
    except Exception as exc:  # one line for the parent's error (generate_demo_in_child)
        exit_with(exc)
