"""Belvedere: a self-hosted BI platform where every person queries under their own permissions."""

__version__ = "0.1.0"
