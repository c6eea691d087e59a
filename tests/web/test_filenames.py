"""Download names made from titles people typed: any script, never a broken header."""

from __future__ import annotations

import pytest

from belvedere.filenames import content_disposition, file_stem
from tests.support.web.client import Client
from tests.web.test_api_charts import BAR


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Web revenue", "Web-revenue"),
        ("Revenue by région!", "Revenue-by-région"),
        ("营收 / Q1", "营收-Q1"),
        ("../../etc/passwd", "etc-passwd"),
        ('a"b\\c\r\nd', "a-b-c-d"),
        ("!!!", "chart"),
        ("", "chart"),
    ],
)
def test_a_title_becomes_a_safe_stem(title: str, stem: str) -> None:
    assert file_stem(title, "chart") == stem


def test_a_long_title_is_cut() -> None:
    assert file_stem("x" * 500, "chart") == "x" * 80


def test_ascii_names_are_plain_and_others_carry_a_utf8_name() -> None:
    assert content_disposition("Web-revenue.png") == 'attachment; filename="Web-revenue.png"'
    assert content_disposition("Revenue-by-région.csv") == (
        "attachment; filename=\"Revenue-by-region.csv\"; filename*=UTF-8''Revenue-by-r%C3%A9gion.csv"
    )
    assert content_disposition("营收.csv") == (
        "attachment; filename=\"download.csv\"; filename*=UTF-8''%E8%90%A5%E6%94%B6.csv"
    )


def test_a_chart_named_in_any_script_downloads(client: Client) -> None:
    chart = client.post(
        "/api/v1/charts", json={"name": "营收 by région", "connection": "demo", "spec": BAR}
    ).json()
    for format in ("csv", "png"):
        response = client.get(f"/api/v1/charts/{chart['id']}/export", params={"format": format})
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"].endswith(
            f"filename*=UTF-8''%E8%90%A5%E6%94%B6-by-r%C3%A9gion.{format}"
        )


def _run(client: Client) -> dict[str, str]:
    body = {"connection": "demo", "sql": "SELECT 1 AS one", "wait_ms": 30000}
    run: dict[str, str] = client.post("/api/v1/runs", json=body).json()
    return run


def test_a_run_downloads_under_the_name_of_its_query(client: Client) -> None:
    run = _run(client)
    day = run["submitted_at"][:10]
    named = client.get(
        f"/api/v1/runs/{run['id']}/export", params={"format": "csv", "name": "Web revenue"}
    )
    assert named.status_code == 200, named.text
    assert named.headers["content-disposition"] == (f'attachment; filename="Web-revenue-{day}.csv"')
    unnamed = client.get(f"/api/v1/runs/{run['id']}/export", params={"format": "json"})
    assert unnamed.headers["content-disposition"] == f'attachment; filename="demo-{day}.json"'


def test_an_attackers_download_name_stays_one_safe_file_name(client: Client) -> None:
    run = _run(client)
    day = run["submitted_at"][:10]
    evil = '..\\../"a"; filename=evil.exe\r\nSet-Cookie: x=1/..'
    response = client.get(
        f"/api/v1/runs/{run['id']}/export", params={"format": "csv", "name": evil}
    )
    assert response.status_code == 200, response.text
    header = response.headers["content-disposition"]
    assert header == (f'attachment; filename="a-filename-evil-exe-Set-Cookie-x-1-{day}.csv"')
    assert "set-cookie" not in response.headers
    nothing_left = client.get(
        f"/api/v1/runs/{run['id']}/export", params={"format": "csv", "name": '/\\"..'}
    )
    assert nothing_left.headers["content-disposition"] == f'attachment; filename="demo-{day}.csv"'
    too_long = client.get(f"/api/v1/runs/{run['id']}/export", params={"name": "x" * 201})
    assert too_long.status_code in (400, 422), too_long.text
