"""The one crossing from async code into blocking code: a call on a bounded thread pool."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_pool(
    pool: Executor, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a blocking callable on ``pool`` and await its result without blocking the loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, functools.partial(func, *args, **kwargs))
