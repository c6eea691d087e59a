"""The Redis results store, for small results shared by every server and worker: each result
one key holding a zstd-compressed Arrow file, expiring after the TTL, within a size budget for
the whole installation (the oldest are deleted beyond it). Pages are read by byte ranges
(GETRANGE): the file's footer and the batches a page covers, never the whole value."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.ipc as ipc
import redis

from belvedere.results.arrowfile import ArrowFileReads, BatchFile
from belvedere.results.base import (
    ResultMissing,
    ResultsUnavailable,
    ResultTooLarge,
    checked,
)
from belvedere.units import human_bytes

KEY_PREFIX = "belvedere:result:"
#: Run ids by the time their result was stored; their sizes; the bytes of them all.
INDEX_KEY = "belvedere:results:index"
SIZES_KEY = "belvedere:results:sizes"
TOTAL_KEY = "belvedere:results:bytes"
ACCOUNTS = [INDEX_KEY, SIZES_KEY, TOTAL_KEY]
#: The largest result kept in Redis: a result is built whole in the worker's memory before it is
#: stored, so a larger one (an export) fails ``result_too_large`` rather than exhausting the
#: worker; large results belong in a filesystem results store.
MAX_VALUE_BYTES = 64 * 1024 * 1024
UNREACHABLE = "The results store (Redis) is unreachable."

# The accounts are changed by these scripts only, each atomic: concurrent writers on every
# host keep them exact. FORGET_EXPIRED drops results older than the TTL (ARGV[1]) from them.
_FORGET = """
local function forget(id)
  local size = redis.call('HGET', KEYS[2], id)
  if size then redis.call('DECRBY', KEYS[3], size) end
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
end
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local forgotten = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))) do
  forget(id)
  forgotten = forgotten + 1
end
"""
#: ARGV: ttl, run id, size, budget, key prefix. Returns the bytes stored.
COMMIT = (
    _FORGET
    + """
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local total = redis.call('INCRBY', KEYS[3], ARGV[3])
while total > tonumber(ARGV[4]) do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if oldest == nil or oldest == ARGV[2] then break end
  redis.call('DEL', ARGV[5] .. oldest)
  forget(oldest)
  total = tonumber(redis.call('GET', KEYS[3]))
end
return total
"""
)
#: ARGV: ttl, run id, key prefix.
DELETE = _FORGET + "redis.call('DEL', ARGV[3] .. ARGV[2])\nforget(ARGV[2])\nreturn 0\n"
#: ARGV: ttl. Returns {bytes stored, results forgotten}.
TOTAL = _FORGET + "return {tonumber(redis.call('GET', KEYS[3]) or '0'), forgotten}\n"


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """Redis's failures as :class:`ResultsUnavailable`."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise ResultsUnavailable(UNREACHABLE) from exc
    except redis.RedisError as exc:
        raise ResultsUnavailable(f"The results store (Redis) failed: {exc}") from exc


class RangeFile:
    """A key's value as a random-access file for pyarrow: each read is one GETRANGE."""

    def __init__(self, client: redis.Redis, key: str, run_id: str) -> None:
        self._client = client
        self._key = key
        self._run_id = run_id
        with reachable():
            self._size = int(client.strlen(key))
        if self._size == 0:
            raise ResultMissing(run_id)
        self._position = 0
        self.closed = False

    def size(self) -> int:
        return self._size

    def tell(self) -> int:
        return self._position

    def seek(self, position: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: self._size}[whence]
        self._position = base + position
        return self._position

    def read(self, count: int = -1) -> bytes:
        end = self._size if count < 0 else min(self._position + count, self._size)
        if end <= self._position:
            return b""
        with reachable():
            data = self._client.getrange(self._key, self._position, end - 1)
        if not isinstance(data, bytes) or len(data) != end - self._position:
            raise ResultMissing(self._run_id)  # expired or deleted meanwhile
        self._position = end
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


class RedisWriter:
    """Builds one result in memory, stored on :meth:`commit` (fails with
    :class:`ResultTooLarge` as soon as it passes what the store takes)."""

    def __init__(self, store: RedisStore, run_id: str, schema: pa.Schema) -> None:
        self._store = store
        self._run_id = checked(run_id)
        self._sink = pa.BufferOutputStream()
        self._file = BatchFile(self._sink, schema, compression="zstd")
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch."""
        self._file.write(batch)
        self.rows += batch.num_rows
        self._check(self._sink.tell())

    def commit(self) -> int:
        """Store the result; returns its size in bytes."""
        self._file.close()
        value = self._sink.getvalue()
        self._check(value.size)
        self._store.put(self._run_id, value.to_pybytes())
        return int(value.size)

    def abort(self) -> None:
        """Discard what was written."""
        with contextlib.suppress(Exception):
            self._sink.close()

    def _check(self, size: int) -> None:
        limit = self._store.max_result_bytes
        if size > limit:
            raise ResultTooLarge(
                f"The result passed {human_bytes(limit)}, more than the results store "
                "(Redis) keeps. For large results, an administrator can set "
                "BELVEDERE_RESULTS_URL to a filesystem results store."
            )


class RedisStore(ArrowFileReads):
    """Results in Redis under ``belvedere:result:<run id>``, each kept ``ttl_seconds``,
    ``budget_bytes`` in all."""

    def __init__(self, url: str, budget_bytes: int, ttl_seconds: int) -> None:
        self.url = url
        self.budget_bytes = budget_bytes
        self.ttl_seconds = ttl_seconds
        self.max_result_bytes = min(budget_bytes, MAX_VALUE_BYTES)
        self.client = redis.Redis.from_url(url, socket_timeout=10.0, socket_connect_timeout=2.0)
        self._commit = self.client.register_script(COMMIT)
        self._delete = self.client.register_script(DELETE)
        self._total = self.client.register_script(TOTAL)

    def writer(self, run_id: str, schema: pa.Schema) -> RedisWriter:
        """Start writing a run's result."""
        return RedisWriter(self, run_id, schema)

    def put(self, run_id: str, value: bytes) -> None:
        """Store a result and account for it, deleting the oldest beyond the budget."""
        with reachable(), self.client.pipeline(transaction=True) as pipe:
            pipe.set(KEY_PREFIX + run_id, value, ex=self.ttl_seconds)
            self._commit(
                keys=ACCOUNTS,
                args=[self.ttl_seconds, run_id, len(value), self.budget_bytes, KEY_PREFIX],
                client=pipe,
            )
            pipe.execute()

    def exists(self, run_id: str) -> bool:
        """Whether a run's result is stored."""
        with reachable():
            return bool(self.client.exists(KEY_PREFIX + checked(run_id)))

    def delete(self, run_id: str) -> None:
        """Remove a run's result."""
        with reachable():
            self._delete(keys=ACCOUNTS, args=[self.ttl_seconds, checked(run_id), KEY_PREFIX])

    def total_bytes(self) -> int:
        """Bytes of the results stored, by every process."""
        return self._accounts()[0]

    def sweep(self) -> int:
        """Redis deletes results past their TTL itself; here the accounts forget them."""
        return self._accounts()[1]

    def describe(self) -> str:
        """The server (without credentials), and how full the store is."""
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            where = f"unix://{parts.path}"
        else:
            where = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"
        used, budget = human_bytes(self.total_bytes()), human_bytes(self.budget_bytes)
        return f"{where} ({used} of {budget})"

    def _accounts(self) -> tuple[int, int]:
        with reachable():
            total, forgotten = self._total(keys=ACCOUNTS, args=[self.ttl_seconds])
        return int(total), int(forgotten)

    @contextlib.contextmanager
    def _open(self, run_id: str, *, whole: bool = False) -> Iterator[ipc.RecordBatchFileReader]:
        source = RangeFile(self.client, KEY_PREFIX + checked(run_id), run_id)
        with pa.PythonFile(source, mode="r") as file:
            yield ipc.open_file(file)
