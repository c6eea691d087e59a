"""The demo warehouse: realistic, about a million order lines, the same every time."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from belvedere.demo.generate import DemoFailed, generate_demo, generate_demo_in_child

FINGERPRINT = (
    "SELECT count(*), sum(line_total), min(ordered_at), max(ordered_at), "
    "count(DISTINCT region), count(DISTINCT category) FROM sales"
)


def test_demo_has_a_shop(demo_path: Path) -> None:
    with duckdb.connect(str(demo_path), read_only=True) as con:
        counts = {
            t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("regions", "categories", "products", "customers", "orders", "order_lines")
        }
        assert counts["customers"] == 50_000
        assert 900_000 < counts["order_lines"] < 1_100_000
        years = con.sql("SELECT DISTINCT year(ordered_at) FROM orders ORDER BY 1").fetchall()
        assert [y for (y,) in years] == [2023, 2024, 2025]


def test_demo_is_deterministic(demo_path: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    generate_demo(again)
    with (
        duckdb.connect(str(demo_path), read_only=True) as a,
        duckdb.connect(str(again), read_only=True) as b,
    ):
        assert a.sql(FINGERPRINT).fetchall() == b.sql(FINGERPRINT).fetchall()


def test_a_server_builds_the_demo_in_a_child_process(demo_path: Path, tmp_path: Path) -> None:
    built = tmp_path / "child" / "demo.duckdb"
    generate_demo_in_child(built)
    with (
        duckdb.connect(str(demo_path), read_only=True) as a,
        duckdb.connect(str(built), read_only=True) as b,
    ):
        assert a.sql(FINGERPRINT).fetchall() == b.sql(FINGERPRINT).fetchall()


def test_a_demo_the_child_cannot_build_says_why(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a directory")
    with pytest.raises(DemoFailed, match=r"generating the demo warehouse at .* failed: \w+"):
        generate_demo_in_child(tmp_path / "taken" / "demo.duckdb")
