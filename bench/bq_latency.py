"""``bq_latency``: one chart when every BigQuery API call takes ``DELAY_SECONDS`` longer (issue 12).

BigQuery answers each API call in tens to hundreds of milliseconds where the emulator takes a
few: a recording proxy of the tests' own (``tests/support/faults/``, as ``bq_concurrency`` uses)
sits in front of the emulator's REST API and holds every request ``DELAY_SECONDS`` before
forwarding it, so each round trip a query makes costs that much. On the emulator,
``bench.orders`` (``bq_overhead``'s ``ROWS`` rows); a ``belvedere serve`` with a connection
through the proxy (the Storage Read API straight, unused by a 4-row result).

Belvedere: the 4-row chart (GROUP BY region, COUNT + SUM) through ``POST
/api/v1/charts/explore`` with ``force: true`` (it runs each time). Baseline, in this process and
through the same proxy: the SDK's ``client.query_and_wait(sql).to_arrow()`` on the chart's own
SQL. ``RUNS`` of each after ``WARMUP``, alternating; the proxy's recording counts the API
calls each side made per query. Target: Belvedere / SDK (medians) < ``TARGET_RATIO``.
"""

from __future__ import annotations

import time
from collections import Counter

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy

from bench.bq import add_connection, create_table, emulator
from bench.bq_overhead import DATASET, SEED_SQL, chart_sql, explore
from bench.support import Report, expect, median, ms, percentile, serve, signed_in_client

NAME = "bq_latency"
DELAY_SECONDS = 0.3
WARMUP = 3
RUNS = 15
TARGET_RATIO = 1.15


def _seed(emu: Emulator) -> None:
    create_table(emu, DATASET, SEED_SQL)


def _kinds(proxy: HttpProxy) -> Counter[str]:
    return Counter(r.kind for r in proxy.requests)


def run() -> Report:
    sdk_times: list[float] = []
    ours: list[float] = []
    calls: dict[str, Counter[str]] = {"SDK": Counter(), "Belvedere": Counter()}
    with emulator() as emu, HttpProxy(emu.rest_url) as proxy:
        _seed(emu)
        sdk = bigquery.Client(
            project=emu.project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=proxy.url),
        )
        with serve(NAME) as server, signed_in_client(server) as client:
            add_connection(client, proxy.url, emu.grpc_target)
            sql = chart_sql(client)
            for _ in range(WARMUP):
                explore(client)
                sdk.query_and_wait(sql).to_arrow(create_bqstorage_client=False)
            proxy.delay(DELAY_SECONDS)
            for _ in range(RUNS):
                proxy.clear()
                start = time.perf_counter()
                rows = sdk.query_and_wait(sql).to_arrow(create_bqstorage_client=False)
                sdk_times.append(time.perf_counter() - start)
                expect(rows.num_rows == 4, f"the SDK read {rows.num_rows} rows")
                calls["SDK"] += _kinds(proxy)
                proxy.clear()
                start = time.perf_counter()
                explore(client)
                ours.append(time.perf_counter() - start)
                calls["Belvedere"] += _kinds(proxy)
            proxy.reset()
        sdk.close()  # type: ignore[no-untyped-call]
    ratio = median(ours) / median(sdk_times)
    report = Report(
        NAME,
        f"one 4-row chart with {ms(DELAY_SECONDS)} added to every BigQuery API call, "
        f"{RUNS} runs each after {WARMUP} warm-ups, alternating",
    )
    report.add(
        "baseline",
        f"SDK query_and_wait().to_arrow() through the proxy: median {ms(median(sdk_times))}, "
        f"p90 {ms(percentile(sdk_times, 90))}",
    )
    report.add(
        "belvedere",
        f"POST /api/v1/charts/explore (force): median {ms(median(ours))}, "
        f"p90 {ms(percentile(ours, 90))}",
    )
    for side, counted in calls.items():
        per_query = ", ".join(f"{k} {v / RUNS:g}" for k, v in sorted(counted.items()))
        report.add(f"API calls, {side}", f"per query: {per_query}")
    report.add("ratio", f"Belvedere / SDK (medians) = {ratio:.3f}")
    report.target(f"ratio < {TARGET_RATIO}", ratio < TARGET_RATIO)
    return report
