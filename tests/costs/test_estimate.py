"""The estimate tells, beside the bytes, the cap that holds you and where it comes from, the
budget left and when it resets, and a raise you may use."""

from __future__ import annotations

from belvedere.costs.model import Scope
from belvedere.services import Services
from tests.costs.bq import GB, TB, dry_runs_say, set_rule, user_id
from tests.support.faults import HttpProxy
from tests.support.web.client import MakeClient


def test_the_estimate_tells_the_budget_left(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    ann = cost_clients().login("ann")
    dry_runs_say(bq_http_proxy, 300 * GB)
    nothing = ann.post("/api/v1/estimate", json={"connection": "bq", "sql": "SELECT 1"}).json()
    assert (nothing["applies"], nothing["cap"], nothing["budget_left"]) == (False, None, None)

    set_rule(cost_services, Scope.GROUP, "analysts", cap=1 * TB)
    cost_services.users.update(user_id(cost_services, "ann"), timezone="Europe/Paris")
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "ann")), daily=200 * GB)
    found = ann.post("/api/v1/estimate", json={"connection": "bq", "sql": "SELECT 1"}).json()
    assert {k: found[k] for k in ("applies", "cap", "cap_from", "over_cap")} == {
        "applies": True,
        "cap": 1 * TB,
        "cap_from": "group analysts",
        "over_cap": False,
    }
    assert (found["budget_left"], found["over_budget"], found["raise_bytes"]) == (
        200 * GB,
        True,
        None,
    )
    assert found["budget_text"].startswith("200.0 GB left of your daily budget of 200.0 GB, ")
    assert found["budget_text"].endswith(" (Europe/Paris)")
    assert " resets at 00:00 on " in found["budget_text"]
