"""Build the demo warehouse file from :file:`shop.sql`; nothing is downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).with_name("shop.sql")


def generate_demo(path: Path) -> None:
    """Write the demo database to ``path`` (atomically: a partial file is never left)."""
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
