"""What BigQuery would answer, where the emulator says less: its dry run always reports 0
bytes and its jobs bill nothing, so the recording proxy answers dry runs with given byte
counts and rewrites the statistics of query jobs."""

from __future__ import annotations

from typing import Any

from belvedere.costs.model import Scope
from belvedere.services import Services
from tests.support.faults import HttpProxy, RecordedRequest

GB = 1024**3
TB = 1024**4


def is_dry_run(request: RecordedRequest) -> bool:
    return request.kind == "jobs.insert" and bool(request.body["configuration"].get("dryRun"))


def is_query(request: RecordedRequest) -> bool:
    """A query that runs: ``jobs.query``, or a jobs.insert that is no dry run."""
    return request.kind == "jobs.query" or (
        request.kind == "jobs.insert" and not is_dry_run(request)
    )


def dry_run_answer(total_bytes: int) -> dict[str, Any]:
    """What BigQuery answers to a dry-run jobs.insert estimating ``total_bytes``."""
    return {
        "kind": "bigquery#job",
        "jobReference": {"projectId": "test-project", "location": "US"},
        "configuration": {"dryRun": True, "query": {"query": "SELECT 1"}},
        "status": {"state": "DONE"},
        "statistics": {
            "totalBytesProcessed": str(total_bytes),
            "query": {"totalBytesProcessed": str(total_bytes), "statementType": "SELECT"},
        },
    }


def dry_runs_say(proxy: HttpProxy, total_bytes: int) -> None:
    """Every dry run from now on estimates ``total_bytes``."""
    proxy.status(200, dry_run_answer(total_bytes), when=is_dry_run)


def jobs_bill(proxy: HttpProxy, billed: int, *, cache_hit: bool = False) -> None:
    """Every query job from now on reports ``billed`` bytes processed and billed."""

    def change(_request: RecordedRequest, answer: Any) -> Any:
        if isinstance(answer, dict):
            answer.update(totalBytesProcessed=str(billed), totalBytesBilled=str(billed))
            answer["cacheHit"] = cache_hit
        return answer

    proxy.edit(change, when=lambda r: r.kind == "jobs.query")


def queries_run(proxy: HttpProxy) -> list[RecordedRequest]:
    """The queries sent to run (dry runs aside)."""
    return [r for r in proxy.requests if is_query(r)]


def job_cap(request: RecordedRequest) -> int | None:
    """The ``maximumBytesBilled`` a query was sent with."""
    body = request.body
    found = body.get("maximumBytesBilled") or body.get("configuration", {}).get("query", {}).get(
        "maximumBytesBilled"
    )
    return None if found is None else int(found)


def set_rule(services: Services, scope: Scope, subject: str, **limits: int) -> None:
    """Set a rule on ``bq`` (limits not given: none)."""
    services.cost_store.set_rule(
        "bq",
        scope,
        subject,
        max_bytes_per_query=limits.get("cap"),
        daily_bytes=limits.get("daily"),
        monthly_bytes=limits.get("monthly"),
        actor_id=None,
    )


def user_id(services: Services, name: str) -> int:
    user = services.users.by_username(name)
    assert user is not None
    return user.id
