"""Whole-table reads over the Storage Read API: a table that is empty for the caller (plainly
empty, or every row hidden by a row access policy) reads as no rows with its columns, and every
error the Storage API answers reaches the user as a sentence and an error kind: never a 500,
never a Python repr."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.bigquery.emulator import Emulator
from tests.support.bigquery.secure import SecureSales
from tests.support.web.client import Client, app_clients

READ = "/google.cloud.bigquery.storage.v1.BigQueryRead/"
CREATE_SESSION = READ + "CreateReadSession"
READ_ROWS = READ + "ReadRows"
#: What a message a user reads must never hold: Python's reprs and internals.
NOT_A_SENTENCE = ("<", "object at", "Traceback", "_InactiveRpcError", "RpcError", "grpc_")
KNOWN_KINDS = {
    "quota_exceeded",
    "resource_exceeded",
    "warehouse_unavailable",
    "access_denied",
    "invalid_query",
}


@dataclass
class Fault:
    method: str
    code: grpc.StatusCode
    details: str
    after_messages: int = 0
    """Stream this many responses first (ReadRows), then fail."""


class GrpcFaultProxy:
    """A gRPC proxy in front of the emulator's Storage API (plaintext, loopback) that fails
    chosen methods with chosen status codes, as Google's front end does under load. (The TCP
    fault proxy of ``tests/support/faults/`` stalls and resets bytes; it cannot answer a
    gRPC status.)"""

    def __init__(self, upstream: str) -> None:
        self._channel = grpc.insecure_channel(
            upstream, options=[("grpc.max_receive_message_length", -1)]
        )
        self.faults: dict[str, Fault] = {}
        self.calls: list[str] = []
        self._server = grpc.server(
            ThreadPoolExecutor(8, thread_name_prefix="grpc-faults"), handlers=[_Handler(self)]
        )
        self.target = f"127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"
        self._server.start()

    def fail(self, fault: Fault) -> None:
        self.faults[fault.method] = fault

    def unary(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.calls.append(method)
        fault = self.faults.get(method)
        if fault is not None:
            context.abort(fault.code, fault.details)
        metadata = [(k, v) for k, v in context.invocation_metadata() if not k.startswith(":")]
        return self._channel.unary_unary(method)(request, metadata=metadata)  # type: ignore[no-any-return]

    def stream(self, method: str, request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        self.calls.append(method)
        fault = self.faults.get(method)
        if fault is not None and fault.after_messages == 0:
            context.abort(fault.code, fault.details)
        metadata = [(k, v) for k, v in context.invocation_metadata() if not k.startswith(":")]
        upstream = self._channel.unary_stream(method)(request, metadata=metadata)
        context.add_callback(upstream.cancel)
        for sent, message in enumerate(upstream):
            if fault is not None and sent >= fault.after_messages:
                context.abort(fault.code, fault.details)
            yield message

    def close(self) -> None:
        self._server.stop(grace=0.5).wait(5)
        self._channel.close()


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, proxy: GrpcFaultProxy) -> None:
        self._proxy = proxy

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method: str = details.method
        proxy = self._proxy
        if method.endswith("/ReadRows"):
            return grpc.unary_stream_rpc_method_handler(
                lambda request, context: proxy.stream(method, request, context)
            )
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: proxy.unary(method, request, context)
        )


@pytest.fixture
def faults(bq_emulator: Emulator) -> Iterator[GrpcFaultProxy]:
    proxy = GrpcFaultProxy(bq_emulator.grpc_target)
    yield proxy
    proxy.close()


@pytest.fixture
def api(
    make_settings: Callable[..., Settings], bq_options: dict[str, Any], faults: GrpcFaultProxy
) -> Iterator[Client]:
    """Admin signed in; connection ``bq`` reads over the Storage API through the fault proxy."""
    services = Services(make_settings())
    services.first_start()
    services.connections.add(
        "bq", "bigquery", {**bq_options, "storage_api_endpoint": faults.target}
    )
    with app_clients(services) as make:
        yield make().login()
    services.close()


def export(api: Client, schema: str, table: str) -> tuple[int, dict[str, Any]]:
    response = api.post(
        "/api/v1/runs",
        json={
            "connection": "bq",
            "table": {"schema": schema, "name": table},
            "export": True,
            "wait_ms": 20_000,
            "timeout_seconds": 20,
        },
    )
    return response.status_code, response.json()


def assert_readable_error(status: int, body: dict[str, Any]) -> dict[str, Any]:
    assert status in (400, 502, 503), (status, body)
    run = body.get("run", body)
    error: dict[str, Any] = run.get("error") or body["error"]
    assert error["code"] in KNOWN_KINDS, error
    message = error["message"]
    assert message[:1].isupper() and message.rstrip().endswith((".", ")")), message
    assert not any(bad in message for bad in NOT_A_SENTENCE), message
    return error


def test_an_empty_table_reads_as_no_rows(
    api: Client, bq_emulator: Emulator, faults: GrpcFaultProxy
) -> None:
    name = f"empty_{uuid.uuid4().hex[:8]}"
    client = bq_emulator.client()
    client.query(
        f"CREATE TABLE shop.{name} AS SELECT 1 AS id, 'a' AS label FROM UNNEST([1]) WHERE FALSE"
    ).result()
    try:
        status, run = export(api, "shop", name)
        assert status == 200, run
        assert (run["status"], run["row_count"]) == ("succeeded", 0), run
        assert [c["name"] for c in run["result"]["columns"]] == ["id", "label"]
        assert CREATE_SESSION in faults.calls  # it was read over the Storage API
    finally:
        client.delete_table(f"shop.{name}")


def test_a_table_whose_rows_a_policy_hides_reads_as_no_rows(
    api: Client, secure_sales: SecureSales, faults: GrpcFaultProxy
) -> None:
    # The connection's own caller is granted no row of secure.sales.
    status, run = export(api, secure_sales.dataset, secure_sales.table)
    assert status == 200, run
    assert (run["status"], run["row_count"]) == ("succeeded", 0), run
    assert [c["name"] for c in run["result"]["columns"]] == ["region", "amount"]
    assert CREATE_SESSION in faults.calls


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (
            Fault(CREATE_SESSION, grpc.StatusCode.RESOURCE_EXHAUSTED, "Quota exceeded for reads"),
            "quota_exceeded",
        ),
        (
            Fault(READ_ROWS, grpc.StatusCode.RESOURCE_EXHAUSTED, "Too many concurrent streams"),
            "quota_exceeded",
        ),
        (
            Fault(READ_ROWS, grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"),
            "warehouse_unavailable",
        ),
        (
            Fault(READ_ROWS, grpc.StatusCode.RESOURCE_EXHAUSTED, "Quota exceeded", 1),
            "quota_exceeded",
        ),
        (
            Fault(CREATE_SESSION, grpc.StatusCode.INVALID_ARGUMENT, "bad request"),
            "invalid_query",
        ),
    ],
    ids=["session-quota", "stream-quota", "stream-deadline", "mid-stream-quota", "invalid"],
)
def test_storage_api_errors_read_as_sentences(
    api: Client, faults: GrpcFaultProxy, fault: Fault, kind: str
) -> None:
    faults.fail(fault)
    status, body = export(api, "shop", "big")
    error = assert_readable_error(status, body)
    assert error["code"] == kind
    assert fault.details in error["message"]
    assert "Storage" in error["message"]
    assert fault.method in faults.calls
    faults.faults.clear()
    status, body = export(api, "shop", "nested")  # and the next read works
    assert status == 200, body
