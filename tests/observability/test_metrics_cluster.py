"""``GET /metrics`` with a broker: messages waiting per queue and the workers alive, read
from Redis at each scrape; with Redis away, the scrape still answers without them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from belvedere.cluster.liveness import Heartbeat
from belvedere.services import Services
from belvedere.settings import Settings
from tests.observability.scraping import scrape
from tests.support.servers.redis import RedisServer
from tests.support.web.client import MakeClient, app_clients


@pytest.fixture
def app_client(make_settings: Callable[..., Settings], redis: RedisServer) -> Iterator[MakeClient]:
    """Clients of an app whose installation has a broker (the ``redis`` fixture)."""
    services = Services(make_settings(broker_url=redis.url()))
    try:
        with app_clients(services) as make:
            yield make
    finally:
        services.close()


def test_queue_depth_and_the_workers_alive(app_client: MakeClient, redis: RedisServer) -> None:
    client = redis.client()
    client.rpush("belvedere.embedded", "first", "second", "third")
    Heartbeat(
        client,
        "host-a:101",
        pool="prefork",
        concurrency=4,
        queues=("belvedere.embedded", "belvedere.remote"),
        active=lambda: 1,
    ).beat()
    samples = scrape(app_client())
    assert samples.get("belvedere_queue_depth", queue="embedded") == 3
    assert samples.get("belvedere_queue_depth", queue="remote") == 0
    up = {"worker": "host-a:101", "pool": "prefork", "queues": "embedded,remote"}
    assert samples.get("belvedere_worker_up", **up) == 1
    age = samples.get("belvedere_worker_heartbeat_age_seconds", worker="host-a:101")
    assert age is not None and 0 <= age < 5
    assert samples.get("belvedere_worker_active_runs", worker="host-a:101") == 1
    assert samples.get("belvedere_worker_concurrency", worker="host-a:101") == 4
    assert samples.get("belvedere_scrape_errors_total", family="workers") == 0


def test_a_scrape_with_redis_stopped_still_answers(
    app_client: MakeClient, redis: RedisServer
) -> None:
    scraper = app_client()
    assert scrape(scraper).get("belvedere_queue_depth", queue="remote") == 0
    redis.stop()
    samples = scrape(scraper)  # 200 all the same
    assert samples.get("belvedere_runs_active", status="running") == 0  # the store still read
    assert samples.labelled("belvedere_queue_depth") == []
    assert samples.labelled("belvedere_worker_up") == []
    assert samples.get("belvedere_scrape_errors_total", family="queues") == 1
    assert samples.get("belvedere_scrape_errors_total", family="workers") == 1
    assert samples.get("belvedere_scrape_errors_total", family="runs_active") == 0
