"""Results printed for people: an aligned text table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_CELL = 60


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def format_table(names: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows under a header of column names and types, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    header = [str(n) for n in names]
    widths = [
        max([len(h), len(t)] + [len(r[i]) for r in cells])
        for i, (h, t) in enumerate(zip(header, types, strict=True))
    ]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows)
        for i in range(len(names))
    ]

    def line(values: Sequence[str], right: Sequence[bool]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return " | ".join(parts).rstrip()

    plain = [False] * len(names)
    out = [line(header, plain), line(list(types), plain), "-+-".join("-" * w for w in widths)]
    out += [line(r, numeric) for r in cells]
    return "\n".join(out)
