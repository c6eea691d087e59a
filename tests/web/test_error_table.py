"""One table answers every failure: the same error kind gets the same status and body on every
route (an authorization error on `/estimate` as on `/runs`: 403 with the link that
authorizes)."""

from __future__ import annotations

from typing import Any

import pytest

from belvedere.services import Services
from belvedere.warehouses.errors import USER_ERROR_KINDS, ErrorKind, WarehouseError
from belvedere.web.errors import STATUS, failure
from tests.support.web.client import Client


def test_every_error_kind_has_one_status() -> None:
    assert {kind: STATUS.get(kind.value, 500) for kind in ErrorKind} == {
        **{kind: 400 for kind in USER_ERROR_KINDS},
        ErrorKind.AUTHORIZATION: 403,
        ErrorKind.CANCELLED: 409,
        ErrorKind.UNAVAILABLE: 502,
        ErrorKind.INTERNAL: 500,
        ErrorKind.RESULT_TOO_LARGE: 422,
        ErrorKind.RESULTS_UNAVAILABLE: 503,
    }


def test_an_answer_carries_the_position_or_the_link() -> None:
    syntax = failure("syntax_error", "near FORM\nSELECT * FORM x", line=1, column=10)
    assert (syntax.status, syntax.extra) == (400, {"line": 1, "column": 10})
    hidden = failure("syntax_error", "near FORM\nSELECT * FORM x", line=1, hide_sql=True)
    assert (hidden.message, hidden.extra) == ("near FORM", {"line": None, "column": None})
    grant = failure("authorization_required", "Connect.", connection="bq")
    assert grant.status == 403
    assert grant.extra["connection"] == "bq"
    assert grant.extra["authorize_url"].startswith("/auth/warehouse/start?connection=bq")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/estimate", {"connection": "demo", "sql": "SELECT 1"}),
        ("GET", "/api/v1/connections/demo/catalog?refresh=true", None),
    ],
)
def test_a_dead_grant_off_a_run_answers_like_a_run(
    client: Client,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    """The estimate and the schema browser reach the warehouse outside a run: a grant found
    dead there answers 403 with the link that authorizes that connection, as a run does."""

    def refused(*args: Any, **kwargs: Any) -> None:
        raise WarehouseError(ErrorKind.AUTHORIZATION, "The grant was revoked.")

    monkeypatch.setattr(services.connections, "backend", refused)
    response = client.request(method, path, json=body)
    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["code"], error["connection"]) == ("authorization_required", "demo")
    assert (
        error["authorize_url"]
        == failure("authorization_required", "", connection="demo").extra["authorize_url"]
    )
