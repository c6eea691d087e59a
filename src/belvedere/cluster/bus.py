"""Messages between the processes of an installation: a run ended or must stop, a session
ended, a connection or an identity changed.

A message reaches every process, its sender's included (at once, in the sender). Without a
broker the bus is this process alone (:class:`LocalBus`); with one, :class:`RedisBus` carries
messages over Redis pub/sub to every server and worker within milliseconds. Pub/sub keeps
nothing for a process that is away, so after Redis comes back every subscriber's
``on_reconnect`` hooks run: caches are dropped and waiters look again, as if every message
had been missed.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # imported by RedisBus: a server without a broker never loads redis
    import redis

log = logging.getLogger(__name__)

#: Channel prefix of the bus in Redis.
CHANNEL_PREFIX = "belvedere:bus:"
#: Longest pause between attempts to reach Redis again.
RECONNECT_MAX_SECONDS = 1.0


class Topic(StrEnum):
    """What a message is about, and the fields it carries."""

    RUN_ENDED = "run.ended"
    """``{"run": id}``: a run reached a final state (waiters may read it)."""
    RUN_PROGRESS = "run.progress"
    """``{"run": id, "bytes_processed": n, "slot_ms": n}``: how far a running query got."""
    RUN_STOP = "run.stop"
    """``{"run": id}``: a run was ended (cancel, deadline): whoever runs it stops the query."""
    SESSIONS_ENDED = "sessions.ended"
    """``{"hashes": [...]}`` or ``{"user": id}``: sessions ended (sign-out, password change)."""
    USER_CHANGED = "user.changed"
    """``{"user": id}``: a user's account changed (role, e-mail, deactivated)."""
    CONNECTION_CHANGED = "connection.changed"
    """``{"name": name}``: a connection changed or was removed."""
    IDENTITY_FORGOTTEN = "identity.forgotten"
    """``{"connection": name, "prefix": key prefix}``: an identity lost its access there."""


Message = dict[str, Any]
Handler = Callable[[Message], None]


class Bus(Protocol):
    """Publish to every process; subscribe to what others publish."""

    def publish(self, topic: Topic, message: Message) -> bool:
        """Deliver ``message`` here at once and to every other process; ``False`` if the other
        processes could not be reached (it never raises)."""
        ...

    def subscribe(self, topic: Topic, handler: Handler) -> None:
        """Call ``handler(message)`` for each message on ``topic`` (on a bus thread, or in the
        publisher's thread for its own messages): keep it short and thread-safe."""
        ...

    def on_reconnect(self, hook: Callable[[], None]) -> None:
        """Call ``hook()`` after the bus was cut off and is back (messages may be lost)."""
        ...

    @property
    def connected(self) -> bool:
        """Whether messages reach other processes now (never through a :class:`LocalBus`)."""
        ...

    def close(self) -> None:
        """Stop listening."""
        ...


class _Handlers:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._reconnect: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, topic: Topic, handler: Handler) -> None:
        with self._lock:
            self._handlers[topic.value].append(handler)

    def on_reconnect(self, hook: Callable[[], None]) -> None:
        with self._lock:
            self._reconnect.append(hook)

    def deliver(self, topic: str, message: Message) -> None:
        with self._lock:
            handlers = list(self._handlers.get(topic, ()))
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                log.exception("a handler of %s failed", topic)

    def reconnected(self) -> None:
        with self._lock:
            hooks = list(self._reconnect)
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("a reconnect hook failed")


class LocalBus(_Handlers):
    """The bus of a process alone: messages reach this process's subscribers."""

    connected = False  # no other process hears it

    def publish(self, topic: Topic, message: Message) -> bool:
        self.deliver(topic.value, message)
        return True

    def close(self) -> None:
        pass


class RedisBus(_Handlers):
    """The bus over Redis pub/sub: one listener thread per process, reconnecting by itself."""

    def __init__(self, url: str) -> None:
        import redis

        super().__init__()
        self._origin = uuid.uuid4().hex
        self._redis_error = redis.RedisError
        self._client: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=1.0, health_check_interval=10
        )
        self._stopped = threading.Event()
        self._ready = threading.Event()
        self._connected = False
        self._thread = threading.Thread(target=self._listen, name="belvedere-bus", daemon=True)
        self._thread.start()
        self._ready.wait(2.0)  # subscribed (or Redis is away: the thread keeps trying)

    @property
    def connected(self) -> bool:
        return self._connected

    def publish(self, topic: Topic, message: Message) -> bool:
        self.deliver(topic.value, message)
        body = json.dumps({"o": self._origin, "m": message})
        try:
            self._client.publish(CHANNEL_PREFIX + topic.value, body)
        except self._redis_error as exc:
            log.warning("could not publish %s to other processes: %s", topic.value, exc)
            return False
        return True

    def _listen(self) -> None:
        pause = 0.05
        lost = False
        while not self._stopped.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.psubscribe(CHANNEL_PREFIX + "*")
                self._connected = True
                self._ready.set()
                if lost:
                    log.info("the bus is back; dropping what may have been missed")
                    self.reconnected()
                    lost = False
                pause = 0.05
                while not self._stopped.is_set():
                    raw = pubsub.get_message(timeout=1.0)
                    if raw is not None and raw.get("type") == "pmessage":
                        self._received(raw)
            except (self._redis_error, OSError) as exc:
                if not lost:
                    log.warning("the bus lost Redis (%s); trying again", exc)
                lost = True
                self._connected = False
                self._ready.set()
            finally:
                try:
                    pubsub.close()
                except Exception:
                    log.debug("closing a pub/sub connection failed", exc_info=True)
            self._stopped.wait(pause)
            pause = min(pause * 2, RECONNECT_MAX_SECONDS)

    def _received(self, raw: dict[str, Any]) -> None:
        try:
            channel = raw["channel"].decode()
            body = json.loads(raw["data"])
        except (ValueError, AttributeError, KeyError):
            log.warning("ignored a malformed bus message")
            return
        message = body.get("m") if isinstance(body, dict) else None
        if not isinstance(message, dict):  # e.g. a bare number: never raise on this thread
            log.warning("ignored a malformed bus message")
            return
        if body.get("o") == self._origin or not channel.startswith(CHANNEL_PREFIX):
            return  # delivered here when it was published
        self.deliver(channel[len(CHANNEL_PREFIX) :], message)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=3.0)
        self._client.close()


def open_bus(broker_url: str | None) -> Bus:
    """The bus of an installation: over the broker's Redis if there is one."""
    if broker_url:
        return RedisBus(broker_url)
    return LocalBus()
