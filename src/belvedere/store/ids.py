"""Row ids: the range the metadata store's integer keys hold, as one type for the API.

Keys are ``INTEGER`` columns: 32-bit on PostgreSQL, and SQLite's driver refuses anything past
64 bits. An id outside ``1..MAX_ROW_ID`` names no row, so the API refuses it (422) before it
reaches the store, where it would raise instead of finding nothing.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Ge(1), Le(MAX_ROW_ID)]
"""The id of a stored row (user, chart, dashboard, saved query): ``1..MAX_ROW_ID``."""
