"""Belvedere: a self-hosted BI platform where every person queries under their own permissions."""

from belvedere.native_memory import choose_arrow_pool

__version__ = "0.1.0"

# Before anything imports pyarrow, which reads its pool's choice once (see native_memory).
choose_arrow_pool()
