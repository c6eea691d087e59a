"""Spend as the API rolls it up: sums of the runs themselves, by day in the asker's time zone,
user, group, connection, dashboard, chart and surface; the CSV says the same; users see
their own only."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.settings import Settings
from tests.costs.ledger import ran
from tests.support.web.client import PASSWORD, Client, MakeClient, app_clients

GB = 1024**3
TIB = 1024**4
PARIS, LA = ZoneInfo("Europe/Paris"), ZoneInfo("America/Los_Angeles")
SINCE, UNTIL = "2026-12-05T00:00:00Z", "2026-12-08T00:00:00Z"
RANGE = {"since": SINCE, "until": UNTIL}
#: (user, billed GB, submitted at, connection, surface, chart, dashboard)
RUNS = [
    ("ann", 10, datetime(2026, 12, 5, 12, 0, tzinfo=UTC), "bq", "sqllab", None, None),
    ("ann", 20, datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "bq", "chart", 7, None),
    ("ann", 5, datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "bq", "dashboard", 7, 3),
    ("bob", 40, datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "bq", "dashboard", 8, 3),
    ("bob", 1, datetime(2026, 12, 7, 9, 0, tzinfo=UTC), "bq2", "api", None, None),
    ("eve", 100, datetime(2026, 12, 7, 22, 0, tzinfo=UTC), "bq", "schedule", 8, None),
    ("eve", 999, datetime(2026, 12, 8, 1, 0, tzinfo=UTC), "bq", "api", None, None),  # after
]
GROUPS = {"ann": ["analysts"], "bob": ["analysts", "finance"], "eve": []}


@pytest.fixture
def svc(make_settings: Callable[..., Settings], metadata_url: str) -> Iterator[Services]:
    """Services (server in Paris, 5 EUR a TiB; on SQLite and on PostgreSQL) with the runs of
    :data:`RUNS`; ann lives in Los Angeles."""
    settings = make_settings(
        database_url=metadata_url, timezone="Europe/Paris", price_per_tib=5.0, currency="EUR"
    )
    services = Services(settings)
    services.first_start()
    for name, groups in GROUPS.items():
        user = services.users.create(name, Role.VIEWER, PASSWORD)
        zone = "America/Los_Angeles" if name == "ann" else ""
        services.users.update(user.id, groups=groups, timezone=zone)
    for user, gb, at, connection, surface, chart, dashboard in RUNS:
        ran(
            services,
            user,
            gb * GB,
            at,
            connection=connection,
            surface=surface,
            chart_id=chart,
            dashboard_id=dashboard,
        )
    yield services
    services.close()


@pytest.fixture
def clients(svc: Services) -> Iterator[MakeClient]:
    with app_clients(svc) as make:
        yield make


def expected(by: Callable[[tuple[Any, ...]], tuple[Any, ...]], who: str | None = None) -> dict:  # type: ignore[type-arg]
    """The runs in range summed per key, as (runs, billed)."""
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for run in RUNS:
        if not datetime(2026, 12, 5, tzinfo=UTC) <= run[2] < datetime(2026, 12, 8, tzinfo=UTC):
            continue
        if who is not None and run[0] != who:
            continue
        sums[by(run)][0] += 1
        sums[by(run)][1] += run[1] * GB
    return {k: tuple(v) for k, v in sums.items()}


def spend(client: Client, by: str, **params: str) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/spend", params={**RANGE, "by": by, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_rolled_up_per_day_of_the_askers_zone_and_user(clients: MakeClient) -> None:
    body = spend(clients().login(), "day,user")
    got = {(r["day"], r["user"]): (r["runs"], r["bytes_billed"]) for r in body["rows"]}
    assert got == expected(lambda r: (r[2].astimezone(PARIS).date().isoformat(), r[0]))
    assert body["timezone"] == "Europe/Paris"
    assert (body["currency"], body["price_per_tib"]) == ("EUR", 5.0)
    billed = sum(gb for _, gb, at, *_ in RUNS if at.day < 8) * GB
    assert body["total"] == {
        "runs": 6,
        "bytes_processed": billed,
        "bytes_billed": billed,
        "cost": round(billed / TIB * 5.0, 6),
    }
    assert set(body["rows"][0]) == {
        "day",
        "user",
        "runs",
        "bytes_processed",
        "bytes_billed",
        "cost",
    }


@pytest.mark.parametrize(
    ("by", "key", "columns"),
    [
        ("connection", lambda r: (r[3],), ("connection",)),
        ("surface", lambda r: (r[4],), ("surface",)),
        ("chart", lambda r: (r[5],), ("chart_id",)),
        ("dashboard", lambda r: (r[6],), ("dashboard_id",)),
        ("user,connection", lambda r: (r[0], r[3]), ("user", "connection")),
    ],
)
def test_rolled_up_by_each_dimension(
    clients: MakeClient, by: str, key: Callable[..., tuple[Any, ...]], columns: tuple[str, ...]
) -> None:
    body = spend(clients().login(), by)
    got = {tuple(r[c] for c in columns): (r["runs"], r["bytes_billed"]) for r in body["rows"]}
    assert got == expected(key)


def test_groups_share_their_members_runs_and_the_total_counts_each_once(
    clients: MakeClient,
) -> None:
    body = spend(clients().login(), "group")
    got = {r["group"]: r["bytes_billed"] for r in body["rows"]}
    assert got == {"analysts": 76 * GB, "finance": 41 * GB, None: 100 * GB}
    assert body["total"]["bytes_billed"] == 176 * GB


def test_a_user_sees_their_own_spend_by_their_own_days(clients: MakeClient) -> None:
    ann = clients().login("ann")
    body = spend(ann, "day")
    got = {(r["day"],): (r["runs"], r["bytes_billed"]) for r in body["rows"]}
    assert got == expected(lambda r: (r[2].astimezone(LA).date().isoformat(),), who="ann")
    assert sorted(got) == [("2026-12-05",), ("2026-12-06",), ("2026-12-07",)]  # her days
    assert body["timezone"] == "America/Los_Angeles"
    assert spend(ann, "user")["rows"] == [
        {
            "user": "ann",
            "runs": 3,
            "bytes_processed": 35 * GB,
            "bytes_billed": 35 * GB,
            "cost": round(35 * GB / TIB * 5, 6),
        }
    ]
    refused = ann.get("/api/v1/spend", params={"user": "bob"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "You may see your own spend only."
    top = ann.get("/api/v1/spend/top", params=RANGE).json()
    assert [(t["user"], t["bytes_billed"]) for t in top] == [
        ("ann", 20 * GB),
        ("ann", 10 * GB),
        ("ann", 5 * GB),
    ]


def test_the_csv_says_what_the_json_says(clients: MakeClient) -> None:
    admin = clients().login()
    by = "day,user,connection,surface,chart,dashboard"
    body = spend(admin, by)
    response = admin.get("/api/v1/spend/export", params={**RANGE, "by": by})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="belvedere-spend-2026-12-05-to-2026-12-08.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "day",
        "user",
        "connection",
        "surface",
        "chart_id",
        "chart",
        "dashboard_id",
        "dashboard",
        "runs",
        "bytes_processed",
        "bytes_billed",
        "cost",
    ]
    assert len(rows) == len(body["rows"])
    for line, row in zip(rows, body["rows"], strict=True):
        for column, value in row.items():
            text = "" if value is None else str(value)
            assert (float(line[column]) == value) if column == "cost" else line[column] == text


def test_top_runs_are_the_most_billed_with_everyone_for_admins(clients: MakeClient) -> None:
    top = clients().login().get("/api/v1/spend/top", params={**RANGE, "limit": 2}).json()
    assert [(t["user"], t["bytes_billed"], t["surface"], t["chart_id"]) for t in top] == [
        ("eve", 100 * GB, "schedule", 8),
        ("bob", 40 * GB, "dashboard", 8),
    ]
    assert top[0]["sql"] == "SELECT 1"
    assert top[0]["cost"] == round(100 * GB / TIB * 5, 6)


def test_an_unknown_dimension_is_refused(clients: MakeClient) -> None:
    response = clients().login().get("/api/v1/spend", params={"by": "day,planet"})
    assert response.status_code == 422
    assert "planet" in response.json()["error"]["message"]


def test_by_default_the_month_so_far(clients: MakeClient) -> None:
    body = clients().login().get("/api/v1/spend").json()
    since, until = (datetime.fromisoformat(body[k]).astimezone(PARIS) for k in ("since", "until"))
    assert (since.day, since.hour, since.minute) == (1, 0, 0)
    assert (since.year, since.month) == (until.year, until.month)
    assert body["by"] == ["day"]
