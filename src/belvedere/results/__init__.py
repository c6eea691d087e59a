"""Where run results live: one interface (:class:`ResultsStore`), three stores, chosen by
``BELVEDERE_RESULTS_URL``: a local folder (the default, one host), Redis (small results,
shared, expiring) or a filesystem URL every host reaches (``file://``, ``gs://``, ``s3://``,
any fsspec URL)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from belvedere.results.base import (
    ResultMissing,
    ResultPage,
    ResultsStore,
    ResultsUnavailable,
    ResultTooLarge,
    ResultWriter,
)
from belvedere.results.filesystem import FilesystemStore
from belvedere.results.local import FolderStore
from belvedere.settings import Settings

if TYPE_CHECKING:
    from belvedere.results.redis import RedisStore

__all__ = [
    "FilesystemStore",
    "FolderStore",
    "RedisStore",
    "ResultMissing",
    "ResultPage",
    "ResultTooLarge",
    "ResultWriter",
    "ResultsStore",
    "ResultsUnavailable",
    "open_results",
]

REDIS_SCHEMES = ("redis", "rediss", "unix")


def __getattr__(name: str) -> object:
    """``RedisStore`` on first use: a server without a Redis never loads redis."""
    if name == "RedisStore":
        from belvedere.results.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_results(settings: Settings) -> ResultsStore:
    """The results store ``settings.results_url`` names (the data folder's by default)."""
    budget = settings.results_budget_mb * 1024 * 1024
    url = settings.results_url
    if not url:
        return FolderStore(settings.results_dir, budget)
    if url.split("://", 1)[0].lower() in REDIS_SCHEMES:
        from belvedere.results.redis import RedisStore

        return RedisStore(url, budget, settings.results_ttl_seconds)
    return FilesystemStore(url, budget, settings.results_ttl_seconds)
