"""Screenshots of the main pages, in the light and the dark theme (the system setting, as
Chromium reports it), for a reviewer to look at: SQL Lab with results, the chart builder with a
chart drawn, a dashboard of three tiles and the connections page. Each is a full-page PNG in
``test-output/screenshots/`` (see tests/README.md), and each shot first checks what the user
sees: the rows, the chart's marks, the three tiles, and a background that is light or dark as
the theme says (a computed colour, and the most common colour of the chart's area)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Playwright, expect

from tests.e2e.conftest import ADMIN_PASSWORD, Server, ready, watch
from tests.e2e.sqllab import open_sqllab, run_sql
from tests.support.images import colours_in, open_png

pytestmark = pytest.mark.e2e

#: Where the screenshots go (ignored by git): CI keeps the folder as an artefact.
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
SCHEMES = ("light", "dark")
#: Queries, chart drawing and the lazily loaded Vega bundle on a busy 2-core machine.
SLOW = 60_000
VIEWPORT = {"width": 1440, "height": 900}
#: Pixels of a chart's edges that show the background behind it.
EDGE = 8
SALES = {"kind": "table", "schema": "main", "table": "sales"}
#: Three charts of the demo for the dashboard: (name, spec, a selector of one mark each).
CHARTS: tuple[tuple[str, dict[str, Any], str], ...] = (
    (
        "Screenshots: revenue by category",
        {
            "type": "bar",
            "source": SALES,
            "dimensions": ["category"],
            "metrics": [{"agg": "sum", "column": "line_total", "label": "revenue"}],
        },
        "g.mark-rect path",
    ),
    (
        "Screenshots: orders per month",
        {
            "type": "line",
            "source": SALES,
            "time": {"column": "order_date", "grain": "month"},
            "metrics": [{"agg": "count_distinct", "column": "order_id", "label": "orders"}],
        },
        "g.mark-line path",
    ),
    (
        "Screenshots: lines by channel",
        {
            "type": "pie",
            "source": SALES,
            "dimensions": ["channel"],
            "metrics": [{"agg": "count", "label": "lines"}],
        },
        "g.mark-arc path",
    ),
)
SQL = (
    "SELECT category, count(DISTINCT order_id) AS orders, sum(line_total) AS revenue\n"
    "FROM sales GROUP BY category ORDER BY revenue DESC"
)


@pytest.fixture(scope="module")
def board(
    playwright: Playwright,
    server: Server,
    sign_in_state: Callable[[str, str], dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    """The three charts and a dashboard of them, side by side, made through the API;
    removed after the module."""
    admin = sign_in_state("admin", ADMIN_PASSWORD)
    token = next(c["value"] for c in admin["cookies"] if c["name"] == "belvedere_csrf")
    api = playwright.request.new_context(
        base_url=server.url, storage_state=admin, extra_http_headers={"X-CSRF-Token": token}
    )
    charts: list[int] = []
    dashboard: int | None = None
    try:
        for name, spec, _ in CHARTS:
            body = {"name": name, "connection": "demo", "spec": spec}
            made = api.post("/api/v1/charts", data=body, timeout=SLOW)
            assert made.ok, made.text()
            charts.append(made.json()["id"])
        made = api.post("/api/v1/dashboards", data={"title": "Screenshots: sales"})
        assert made.ok, made.text()
        dashboard = int(made.json()["id"])
        tiles = [
            {"id": f"t{n}", "kind": "chart", "chart_id": c, "x": 4 * n, "y": 0, "w": 4, "h": 5}
            for n, c in enumerate(charts)
        ]
        laid = api.patch(f"/api/v1/dashboards/{dashboard}", data={"layout": {"tiles": tiles}})
        assert laid.ok, laid.text()
        yield {"id": dashboard, "charts": charts}
    finally:
        if dashboard is not None:
            api.delete(f"/api/v1/dashboards/{dashboard}")
        for chart_id in charts:
            api.delete(f"/api/v1/charts/{chart_id}")
        api.dispose()


@pytest.fixture(params=SCHEMES)
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def themed_page(
    scheme: str,
    new_context: Callable[..., BrowserContext],
    sign_in_state: Callable[[str, str], dict[str, Any]],
) -> Iterator[Page]:
    """A page signed in as the admin, with the system's colour scheme ``scheme``; the test
    fails if the page's script throws or the content security policy blocks something."""
    context = new_context(
        storage_state=sign_in_state("admin", ADMIN_PASSWORD),
        color_scheme=scheme,
        viewport=VIEWPORT,
    )
    page = context.new_page()
    page.set_default_timeout(SLOW)
    problems = watch(page)
    yield page
    assert problems == []


# ----- colours


RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)")

#: The colour behind an element: its own background, else its nearest ancestor's that is not
#: transparent, else the page's canvas (white).
BACKGROUND_JS = """(el) => {
  for (let node = el; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    const alpha = colour.match(/rgba\\([^)]*,\\s*([\\d.]+)\\)/);
    if (!alpha || Number(alpha[1]) > 0.5) return colour;
  }
  return "rgb(255, 255, 255)";
}"""


def luminance(r: float, g: float, b: float) -> float:
    """Relative luminance (WCAG) of an sRGB colour of 0-255 channels: 0 black, 1 white."""

    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def css_luminance(colour: str) -> float:
    found = RGB.fullmatch(colour.strip())
    assert found, f"not an rgb() colour: {colour}"
    r, g, b = (float(v) for v in found.groups()[:3])
    return luminance(r, g, b)


def assert_theme(scheme: str, what: str, brightness: float) -> None:
    """A background as the theme says: dark under a dark system setting, light otherwise."""
    if scheme == "dark":
        assert brightness < 0.05, f"{what} is not dark in the dark theme: luminance {brightness}"
    else:
        assert brightness > 0.7, f"{what} is not light in the light theme: luminance {brightness}"


def assert_background(page: Page, scheme: str, element: Locator, what: str) -> None:
    """The page's and ``element``'s backgrounds (computed colours) suit the theme."""
    body = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert_theme(scheme, f"the page's background ({body})", css_luminance(body))
    behind = element.evaluate(BACKGROUND_JS)
    assert_theme(scheme, f"the background of {what} ({behind})", css_luminance(behind))


def shoot(page: Page, name: str, scheme: str) -> bytes:
    """A full-page screenshot, kept as ``<name>-<scheme>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{scheme}.png"
    png = page.screenshot(path=path, full_page=True, animations="disabled")
    assert path.stat().st_size > 0
    return png


def assert_drawn_on_theme(page: Page, png: bytes, scheme: str, chart: Locator, what: str) -> None:
    """In the screenshot, the chart's area has colours of its own (marks, labels) on the
    theme's background: the most common colour of its edges (a pie may fill its middle)."""
    box = chart.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 60, f"{what}: {box}"
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    left, top = round(box["x"] + scroll[0]), round(box["y"] + scroll[1])
    width, height = int(box["width"]), int(box["height"])
    image = open_png(png)
    area = image.crop((left, top, left + width, top + height))
    distinct, colourful = colours_in(area)
    assert distinct > 3 and colourful > 100, f"{what} draws no marks in the screenshot"
    edges = Counter(
        area.getpixel((x, y))
        for x in range(0, width, 2)
        for y in range(0, height, 2)
        if min(x, y, width - 1 - x, height - 1 - y) < EDGE
    )
    (r, g, b), _ = edges.most_common(1)[0]
    assert_theme(scheme, f"{what} in the screenshot (rgb {r}, {g}, {b})", luminance(r, g, b))


# ----- the pages


def test_sql_lab_with_results(themed_page: Page, scheme: str) -> None:
    page = open_sqllab(themed_page)
    ready(page)
    run_sql(page, SQL)
    grid = page.locator("[data-testid='results-table']:visible")
    rows = grid.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() > 1
    expect(rows.first).to_contain_text(re.compile(r"\d"))
    assert_background(page, scheme, grid, "the results")
    shoot(page, "sqllab", scheme)


def test_the_chart_builder_with_a_chart(
    themed_page: Page, scheme: str, board: dict[str, Any]
) -> None:
    page = themed_page
    page.goto(f"/charts/{board['charts'][0]}")
    ready(page)
    output = page.get_by_test_id("chart-output")
    expect(output).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("chart-error")).to_be_hidden()
    chart = output.get_by_test_id("vega-chart")
    expect(chart.locator(CHARTS[0][2]).first).to_be_visible()
    assert chart.locator(CHARTS[0][2]).count() > 1  # a bar per category
    assert_background(page, scheme, chart, "the chart")
    png = shoot(page, "chart-builder", scheme)
    assert_drawn_on_theme(page, png, scheme, chart, "the chart")


def test_a_dashboard_of_three_tiles(themed_page: Page, scheme: str, board: dict[str, Any]) -> None:
    page = themed_page
    page.goto(f"/dashboards/{board['id']}")
    ready(page)
    tiles = page.get_by_test_id("dashboard-tile")
    expect(tiles).to_have_count(3)
    for chart_id, (name, _, mark) in zip(board["charts"], CHARTS, strict=True):
        tile = page.locator(f'[data-testid="dashboard-tile"][data-chart-id="{chart_id}"]')
        expect(tile).to_have_attribute("data-state", "ready")
        expect(tile.get_by_test_id("tile-title")).to_have_text(name)
        expect(tile.get_by_test_id("tile-error")).to_be_hidden()
        expect(tile.locator(mark).first).to_be_visible()
    assert_background(page, scheme, tiles.first.get_by_test_id("tile-body"), "a tile")
    png = shoot(page, "dashboard", scheme)
    for n in range(3):
        body = tiles.nth(n).get_by_test_id("tile-body")
        assert_drawn_on_theme(page, png, scheme, body, f"tile {n + 1}")


def test_the_connections_page(themed_page: Page, scheme: str) -> None:
    page = themed_page
    page.goto("/connections")
    ready(page)
    demo = page.locator("tr[data-connection='demo']")
    expect(demo).to_be_visible()
    expect(demo).to_contain_text(re.compile("duckdb", re.IGNORECASE))
    assert_background(page, scheme, demo, "the connections list")
    shoot(page, "connections", scheme)
