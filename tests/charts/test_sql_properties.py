"""Properties of chart SQL over generated specs: it parses on every dialect, and whatever a user
typed (names, labels, filter values) reaches it only as a quoted identifier or a string literal,
intact. A custom metric, which is SQL, stays one expression or is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import TokenType, exp

from belvedere.charts.spec import ChartSpec
from belvedere.charts.sql import DIALECTS, chart_sql, distinct_values_sql, source_expression

PROPERTY = settings(
    max_examples=80, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
#: Text a user may type, weighted towards what breaks SQL: quotes, backslashes, comments.
TRICKS = ["'", '"', "`", "\\", ";", "--", "/*", "*/", "\n", " ", "$$", "${x}", "?", "%s", ":a"]
text = st.one_of(
    st.text(min_size=1, max_size=12),
    st.lists(st.sampled_from([*TRICKS, "a", "DROP TABLE t", "1=1", "OR"]), min_size=1).map("".join),
)
names = text.filter(lambda s: len(s) <= 300)
scalars = st.one_of(
    text,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
#: Unquoted words the generated SQL may hold of its own (functions, units, types).
OWN_WORDS = {"DAY", "HOUR", "WEEK", "ISOWEEK", "MONTH", "QUARTER", "YEAR"}


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    ops = ["eq", "ne", "gt", "lte", "contains", "in", "not_in", "between", "is_null"]
    op = draw(st.sampled_from(ops))
    value: Any
    if op == "is_null":
        value = None
    elif op in ("in", "not_in"):
        value = draw(st.lists(st.one_of(st.none(), scalars), min_size=1, max_size=4))
    elif op == "between":
        kind = draw(st.sampled_from([st.integers(-(10**9), 10**9), st.dates(), text]))
        value = [draw(st.one_of(st.none(), kind)), draw(st.one_of(st.none(), kind))]
    else:
        value = draw(scalars)
    if isinstance(value, dt.date) or (
        isinstance(value, list) and any(isinstance(v, dt.date) for v in value)
    ):
        # with the value_type the chart builder sends with dates
        typed = "datetime" if any(isinstance(v, dt.datetime) for v in _many(value)) else "date"
        if all(v is None or isinstance(v, dt.date) for v in _many(value)):
            return {"column": draw(names), "op": op, "value": value, "value_type": typed}
    return {"column": draw(names), "op": op, "value": value}


def _many(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@st.composite
def specs(draw: st.DrawFn) -> ChartSpec:
    columns = draw(st.lists(names, min_size=2, max_size=6, unique=True))
    time = draw(st.booleans())
    keys, labels = columns[: len(columns) // 2], columns[len(columns) // 2 :]
    aggregates = st.sampled_from(["count", "count_distinct", "sum", "avg", "min", "max"])
    metrics = [{"agg": draw(aggregates), "column": draw(names), "label": x} for x in labels]
    spec: dict[str, Any] = {
        "type": draw(st.sampled_from(["table", "bar", "line"])),
        "source": {"kind": "table", "schema": draw(st.none() | names), "table": draw(names)},
        "dimensions": keys[1:] if time else keys,
        "metrics": metrics,
        "filters": draw(st.lists(filters(), max_size=3)),
        "sort": [{"by": draw(st.sampled_from(columns)), "desc": draw(st.booleans())}],
        "limit": draw(st.integers(1, 50_000)),
    }
    if time:
        spec["time"] = {"column": keys[0], "grain": draw(st.sampled_from(["day", "week"]))}
    return ChartSpec.model_validate(spec)


def _user_text(spec: ChartSpec) -> tuple[set[str], set[str]]:
    """The identifiers and the string values a user typed into ``spec``."""
    source = spec.source
    identifiers = {source.table, *([source.schema_] if source.schema_ else [])}  # type: ignore[union-attr]
    identifiers |= {*spec.dimensions, *spec.result_columns()}
    identifiers |= {m.column for m in spec.metrics if m.column}
    identifiers |= {f.column for f in spec.filters if any(v is not None for v in _many(f.value))}
    identifiers |= {f.column for f in spec.filters if f.op in ("eq", "ne", "gt", "lte", "in")}
    identifiers |= {f.column for f in spec.filters if f.op == "is_null"}
    if spec.time:
        identifiers.add(spec.time.column)
    values = {v for f in spec.filters for v in _many(f.value) if isinstance(v, str)}
    return identifiers, values


def _check(sql: str, dialect: str, identifiers: set[str], values: set[str]) -> None:
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1 and isinstance(statements[0], exp.Select), sql
    tokens = sqlglot.tokenize(sql, read=dialect)
    names = {t.text for t in tokens if t.token_type is TokenType.IDENTIFIER}
    assert names == identifiers, (dialect, sql, names ^ identifiers)  # each one token, intact
    quoted, literals = set(), set()
    for node in statements[0].walk():
        if isinstance(node, exp.Identifier):
            assert node.quoted, (dialect, sql, node)
            quoted.add(node.name)
        elif isinstance(node, exp.Literal) and node.is_string:
            literals.add(node.name)
        elif isinstance(node, exp.Var):
            assert node.name.upper() in OWN_WORDS, (dialect, sql, node)
        elif isinstance(node, exp.Anonymous):
            raise AssertionError(f"an unknown function {node.name!r} in {sql}")
    # BigQuery reads a dot inside backquotes as a path (`a.b` is `a`.`b`, and SQLGlot regroups
    # a table's parts): where a name holds one, the tokens above are the check
    if dialect != "bigquery" or not any("." in name for name in identifiers):
        assert quoted == identifiers, (dialect, sql, quoted ^ identifiers)
    assert values <= literals, (dialect, sql, values - literals)


@PROPERTY
@given(specs())
def test_user_text_is_only_quoted_identifiers_and_literals(spec: ChartSpec) -> None:
    identifiers, values = _user_text(spec)
    for dialect in DIALECTS:
        source = spec.source
        table = source_expression(dialect, schema=source.schema_, table=source.table)  # type: ignore[union-attr]
        _check(chart_sql(spec, dialect, table), dialect, identifiers, values)


@PROPERTY
@given(names, names, names)
def test_filter_values_query_quotes_its_column(schema: str, table: str, column: str) -> None:
    for dialect in DIALECTS:
        source = source_expression(dialect, schema=schema, table=table)
        sql = distinct_values_sql(dialect, source, column, 1000)
        _check(sql, dialect, {schema, table, column}, set())


#: Pieces of a custom metric: an expression, and attempts to break out of it.
PIECES = [
    "SUM(",
    "price",
    "quantity",
    ")",
    " * ",
    " + ",
    "1",
    "'x'",
    "'",
    '"',
    ",",
    " AS x",
    ";",
    " -- ",
    "/*",
    "*/",
    " FROM t",
    " UNION ALL SELECT 1",
    "(SELECT 1)",
    " DROP TABLE t",
    " WHERE 1=1",
    "\n",
]
custom = st.one_of(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join), text)


@PROPERTY
@given(custom)
def test_a_custom_metric_stays_one_expression_or_is_refused(sql: str) -> None:
    spec = (
        ChartSpec.model_validate(
            {
                "type": "bar",
                "source": {"kind": "table", "schema": "shop", "table": "orders"},
                "dimensions": ["region"],
                "metrics": [{"agg": "custom", "sql": sql, "label": "m"}],
            }
        )
        if sql.strip()
        else None
    )
    if spec is None:
        return
    for dialect in DIALECTS:
        source = source_expression(dialect, schema="shop", table="orders")
        try:
            out = chart_sql(spec, dialect, source)
        except ValueError:
            continue  # refused, with a message for the person
        statements = sqlglot.parse(out, read=dialect)
        assert len(statements) == 1 and isinstance(statements[0], exp.Select), out
        tree = statements[0]
        assert [e.alias_or_name for e in tree.expressions] == ["region", "m"], out
        assert [t.name for t in tree.find_all(exp.Table)] == ["orders"], out
        forbidden = (exp.Subquery, exp.Union, exp.DDL, exp.DML, exp.Command)
        assert not any(isinstance(node, forbidden) for node in tree.walk()), out
        assert tree.args["limit"] is not None and tree.args.get("where") is None, out
