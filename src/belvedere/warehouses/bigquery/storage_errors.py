"""Failures of BigQuery's Storage Read API (gRPC) as sentences and error kinds."""

from __future__ import annotations

import grpc
from google.api_core import exceptions as api

from belvedere.warehouses.errors import ErrorKind, WarehouseError

#: gRPC status -> error kind, for failures of the Storage Read API.
GRPC_KINDS: dict[grpc.StatusCode, ErrorKind] = {
    grpc.StatusCode.RESOURCE_EXHAUSTED: ErrorKind.QUOTA,
    grpc.StatusCode.DEADLINE_EXCEEDED: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.UNAVAILABLE: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.INTERNAL: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.UNKNOWN: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.ABORTED: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.DATA_LOSS: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.PERMISSION_DENIED: ErrorKind.ACCESS_DENIED,
    grpc.StatusCode.UNAUTHENTICATED: ErrorKind.ACCESS_DENIED,
    grpc.StatusCode.NOT_FOUND: ErrorKind.NOT_FOUND,
    grpc.StatusCode.CANCELLED: ErrorKind.CANCELLED,
}
#: What each kind of Storage Read API failure says, before the API's own words.
STORAGE_SENTENCES: dict[ErrorKind, str] = {
    ErrorKind.QUOTA: "BigQuery's Storage Read API refused the read (a quota or limit was "
    "reached; try again later)",
    ErrorKind.UNAVAILABLE: "BigQuery's Storage Read API failed to answer",
    ErrorKind.ACCESS_DENIED: "BigQuery's Storage Read API refused access",
    ErrorKind.NOT_FOUND: "BigQuery's Storage Read API did not find the table",
    ErrorKind.CANCELLED: "The read from BigQuery's Storage Read API was cancelled",
}


def storage_api_error(exc: BaseException) -> WarehouseError | None:
    """A failure of the Storage Read API (gRPC) as a sentence and a kind; ``None`` for any
    other error. Its errors carry gRPC call objects where REST ones carry dictionaries."""
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
        exc = api.from_grpc_error(exc)  # type: ignore[no-untyped-call]
    if not isinstance(exc, api.GoogleAPICallError) or not isinstance(exc.response, grpc.Call):
        return None
    code = exc.grpc_status_code
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        lead = "BigQuery's Storage Read API did not answer in time"
        kind = ErrorKind.UNAVAILABLE
    else:
        kind = GRPC_KINDS.get(code, ErrorKind.INVALID) if code is not None else ErrorKind.INVALID
        lead = STORAGE_SENTENCES.get(kind, "BigQuery's Storage Read API refused the read")
    details = (exc.message or (code.name if code is not None else "")).strip().rstrip(".")
    return WarehouseError(kind, f"{lead}: {details}." if details else f"{lead}.")
