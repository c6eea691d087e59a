"""The one way blocking work leaves async code: a named, bounded pool (a :class:`Lane`).

Every blocking call made from the event loop goes through a lane of :class:`Pools`, built once
from settings and injected where it is needed. Starlette's ``run_in_threadpool``,
``asyncio.to_thread`` and ``loop.run_in_executor`` are not used in ``src/`` (a lint rule and a
test keep it so).
"""

from belvedere.concurrency.lanes import Lane, Pools

__all__ = ["Lane", "Pools"]
