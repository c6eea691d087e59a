"""The bus between processes: a message published in one reaches the others, its sender at
once, and the bus survives Redis going away and coming back."""

from __future__ import annotations

import threading

from belvedere.cluster.bus import LocalBus, RedisBus, Topic
from tests.support.servers.redis import RedisServer

WITHIN = 2.0


class Inbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, object]] = []
        self.arrived = threading.Event()

    def __call__(self, message: dict[str, object]) -> None:
        self.messages.append(message)
        self.arrived.set()


def test_local_bus_delivers_to_its_own_process() -> None:
    bus = LocalBus()
    inbox = Inbox()
    bus.subscribe(Topic.RUN_STOP, inbox)
    assert bus.publish(Topic.RUN_STOP, {"run": "abc"})
    assert inbox.messages == [{"run": "abc"}]


def test_message_reaches_other_process_once_and_sender_at_once(redis: RedisServer) -> None:
    sender, receiver = RedisBus(redis.url()), RedisBus(redis.url())
    try:
        here, there, other_topic = Inbox(), Inbox(), Inbox()
        sender.subscribe(Topic.SESSIONS_ENDED, here)
        receiver.subscribe(Topic.SESSIONS_ENDED, there)
        receiver.subscribe(Topic.RUN_ENDED, other_topic)
        assert sender.publish(Topic.SESSIONS_ENDED, {"user": 7})
        assert here.messages == [{"user": 7}]  # in the sender, before publish returns
        assert there.arrived.wait(WITHIN)
        assert there.messages == [{"user": 7}]
        assert other_topic.messages == []
        assert here.messages == [{"user": 7}]  # not a second time through Redis
    finally:
        sender.close()
        receiver.close()


def test_bus_comes_back_after_redis_restarts(redis: RedisServer) -> None:
    sender, receiver = RedisBus(redis.url()), RedisBus(redis.url())
    try:
        back = threading.Event()
        receiver.on_reconnect(back.set)
        inbox = Inbox()
        receiver.subscribe(Topic.CONNECTION_CHANGED, inbox)
        redis.stop()
        assert sender.publish(Topic.CONNECTION_CHANGED, {"name": "lost"}) is False
        redis.start()
        assert back.wait(5.0), "the receiver did not reconnect"
        assert receiver.connected
        assert sender.publish(Topic.CONNECTION_CHANGED, {"name": "after"})
        assert inbox.arrived.wait(WITHIN)
        assert inbox.messages == [{"name": "after"}]
    finally:
        sender.close()
        receiver.close()


def test_hostile_messages_in_redis_do_not_stop_the_bus(redis: RedisServer) -> None:
    sender, receiver = RedisBus(redis.url()), RedisBus(redis.url())
    try:
        inbox = Inbox()
        receiver.subscribe(Topic.RUN_STOP, inbox)
        client = redis.client()
        for junk in (b"5", b"[1]", b'"text"', b"{not json", b'{"m": [1]}', b"\xff"):
            client.publish("belvedere:bus:run.stop", junk)
        assert sender.publish(Topic.RUN_STOP, {"run": "after"})
        assert inbox.arrived.wait(WITHIN)
        assert inbox.messages == [{"run": "after"}]
    finally:
        sender.close()
        receiver.close()
