"""Dataset ``secure``, made by :func:`seed_secure_sales` (idempotent; the per-user identity tests
ask for it): ``sales (region STRING, amount INT64)``, rows in regions ``north`` and
``south``, with ROW ACCESS POLICIES so that alice (``user:`` and her service account
``bq-alice@...``) sees north, bob (and ``bq-bob@...``) south, and members of
``group:bi-admins@example.com`` everything; anyone else sees no row. The emulator enforces them
for queries and the Storage Read API, not for tabledata.list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.support.bigquery.seed import run_sql

if TYPE_CHECKING:
    from tests.support.bigquery.emulator import Emulator

SECURE = "secure"
SALES = "sales"
ALICE = "user:alice@example.com"
BOB = "user:bob@example.com"
CAROL = "user:carol@example.com"
BQ_ALICE = "serviceAccount:bq-alice@test-project.iam.gserviceaccount.com"
BQ_BOB = "serviceAccount:bq-bob@test-project.iam.gserviceaccount.com"
BI_ADMINS = "group:bi-admins@example.com"
SALES_ROWS: tuple[tuple[str, int], ...] = (
    ("north", 10),
    ("north", 20),
    ("north", 40),
    ("south", 30),
    ("south", 50),
)
SALES_POLICIES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "north_readers": ((ALICE, BQ_ALICE), 'region = "north"'),
    "south_readers": ((BOB, BQ_BOB), 'region = "south"'),
    "admins_read_all": ((BI_ADMINS,), "TRUE"),
}
"""Policy id → (grantees, filter)."""


@dataclass(frozen=True)
class SecureSales:
    """What :func:`seed_secure_sales` made."""

    project: str
    dataset: str = SECURE
    table: str = SALES
    rows: tuple[tuple[str, int], ...] = SALES_ROWS
    policies: Mapping[str, tuple[tuple[str, ...], str]] = field(
        default_factory=lambda: dict(SALES_POLICIES)
    )

    @property
    def table_id(self) -> str:
        """``project.secure.sales``."""
        return f"{self.project}.{self.dataset}.{self.table}"

    @property
    def storage_table(self) -> str:
        """The table's name in the Storage Read API (``projects/.../tables/sales``)."""
        return f"projects/{self.project}/datasets/{self.dataset}/tables/{self.table}"

    def regions_of(self, principal: str, groups: tuple[str, ...] = ()) -> set[str]:
        """The regions a caller may see (``{"north", "south"}`` for everything)."""
        granted = {principal, *groups}
        regions: set[str] = set()
        for grantees, predicate in self.policies.values():
            if granted & set(grantees):
                if predicate == "TRUE":
                    return {region for region, _ in self.rows}
                regions.add(predicate.split('"')[1])
        return regions

    def visible_to(self, principal: str, groups: tuple[str, ...] = ()) -> list[tuple[str, int]]:
        """The rows a caller sees, sorted."""
        regions = self.regions_of(principal, groups)
        return sorted(row for row in self.rows if row[0] in regions)


def _sales_ctas(project: str) -> str:
    values = ", ".join(
        f"STRUCT('{region}' AS region, CAST({amount} AS INT64) AS amount)"
        for region, amount in SALES_ROWS
    )
    return f"CREATE TABLE `{project}.{SECURE}.{SALES}` AS SELECT * FROM UNNEST([{values}])"


def _policy_ddl(project: str, name: str, grantees: tuple[str, ...], predicate: str) -> str:
    quoted = ", ".join(f'"{g}"' for g in grantees)
    return (
        f"CREATE ROW ACCESS POLICY {name} ON `{project}.{SECURE}.{SALES}` "
        f"GRANT TO ({quoted}) FILTER USING ({predicate})"
    )


def seed_secure_sales(emulator: Emulator) -> SecureSales:
    """Make dataset ``secure`` as described at the top of this module, unless it is there.

    Idempotent and quick when done (two REST calls): the emulator answers 409 to ``CREATE OR
    REPLACE ROW ACCESS POLICY`` (and to ``IF NOT EXISTS``) when the policy exists, so existing
    policies are listed first; one that differs is dropped and made again. After
    ``bq_restart`` (an empty emulator) it seeds again.
    """
    import httpx
    from google.api_core.exceptions import Conflict, NotFound
    from google.cloud import bigquery

    project = emulator.project
    wanted = SecureSales(project)
    client = emulator.client()
    try:
        try:
            client.get_table(wanted.table_id)
        except NotFound:
            client.create_dataset(bigquery.Dataset(f"{project}.{SECURE}"), exists_ok=True)
            with contextlib.suppress(Conflict):  # another session made it meanwhile
                run_sql(client, _sales_ctas(project))
        listed = httpx.get(
            f"{emulator.rest_url}/bigquery/v2/projects/{project}/datasets/{SECURE}"
            f"/tables/{SALES}/rowAccessPolicies",
            timeout=30,
        )
        listed.raise_for_status()
        existing = {
            p["rowAccessPolicyReference"]["policyId"]: (
                tuple(p.get("grantees", ())),
                p.get("filterPredicate", ""),
            )
            for p in listed.json().get("rowAccessPolicies", [])
        }
        for name, (grantees, predicate) in SALES_POLICIES.items():
            if existing.get(name) == (grantees, predicate):
                continue
            if name in existing:
                run_sql(client, f"DROP ROW ACCESS POLICY {name} ON `{project}.{SECURE}.{SALES}`")
            with contextlib.suppress(Conflict):  # another session made it meanwhile
                run_sql(client, _policy_ddl(project, name, grantees, predicate))
    finally:
        client.close()
    return wanted
