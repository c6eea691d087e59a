"""Statement classification: which statements of a user's SQL a sandboxed connection may run.

A second layer behind the engine's own locks: the SQL is parsed with SQLGlot, every statement
must be of a kind the :class:`StatementRules` allow, and no function or table that the rules
deny may appear anywhere inside it. What is denied is data, one set per warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

#: Statements that read and change nothing.
READ_STATEMENTS: tuple[type[exp.Expression], ...] = (
    exp.Select,
    exp.SetOperation,
    exp.Subquery,
    exp.Values,
    exp.Describe,
    exp.Summarize,
    exp.Pivot,
    exp.Show,
)
#: Statements that change the connection's own tables (allowed on a writable connection).
WRITE_STATEMENTS: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
)
#: Objects a writable connection may create (temporary ones never: they are session state).
CREATABLE = frozenset({"TABLE", "VIEW", "SCHEMA", "INDEX", "SEQUENCE", "TYPE"})
#: Statements of either kind, to spot one nested where it should not be.
_STATEMENT_NODES: tuple[type[exp.Expression], ...] = (
    *WRITE_STATEMENTS,
    exp.Set,
    exp.Pragma,
    exp.Command,
    exp.Attach,
    exp.Detach,
    exp.Copy,
    exp.Use,
    exp.Install,
)


class StatementRefused(Exception):
    """The SQL holds a statement, function or table the connection does not run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StatementUnparsed(StatementRefused):
    """SQLGlot could not parse the SQL, so it cannot be checked (and is not run)."""


@dataclass(frozen=True)
class StatementRules:
    """What a sandboxed connection lets through, as data. Names are lower-case."""

    read_only_message: str
    """The refusal on a read-only connection."""
    writable_message: str
    """The refusal on a connection whose own tables users may change."""
    denied_functions: frozenset[str] = frozenset()
    """Functions and table functions never allowed (settings, logs, paths)."""
    denied_tables: frozenset[str] = frozenset()
    """Tables and views never allowed (system views of settings, logs, paths)."""
    denied_prefixes: tuple[str, ...] = ()
    """Function and table names starting so are denied too, unless in ``allowed_names``."""
    allowed_names: frozenset[str] = frozenset()
    file_names: frozenset[str] = frozenset()
    """Functions that read files: allowed only where the connection allows file access."""
    file_prefixes: tuple[str, ...] = ()
    show_forms: frozenset[str] = frozenset()
    """``SHOW x`` forms that list objects (``DATABASES``); other names are tables to describe."""
    denied_show: frozenset[str] = field(default_factory=frozenset)
    """Names ``SHOW x`` may not take (the engine's settings)."""

    def denies_function(self, name: str, *, files: bool) -> bool:
        if name in self.denied_functions or self._denied_by_prefix(name):
            return True
        return not files and (name in self.file_names or name.startswith(self.file_prefixes))

    def denies_table(self, name: str) -> bool:
        return name in self.denied_tables or self._denied_by_prefix(name)

    def _denied_by_prefix(self, name: str) -> bool:
        return name not in self.allowed_names and name.startswith(self.denied_prefixes)


def check_statements(
    sql: str, dialect: str, rules: StatementRules, *, writable: bool = False, files: bool = False
) -> int:
    """Raise :class:`StatementRefused` unless every statement of ``sql`` is allowed; returns
    how many statements it holds. ``writable``: the connection's own tables may change;
    ``files``: functions that read the server's files are allowed."""
    message = rules.writable_message if writable else rules.read_only_message
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
        for statement in statements:
            _check(statement, dialect, rules, message, writable=writable, files=files)
    except SqlglotError as exc:
        raise StatementUnparsed(f"{message} (this statement could not be checked: {exc})") from exc
    except RecursionError:
        raise StatementUnparsed(
            f"{message} (this statement is nested too deeply to be checked)"
        ) from None
    return len(statements)


def _check(
    statement: exp.Expr,
    dialect: str,
    rules: StatementRules,
    message: str,
    *,
    writable: bool,
    files: bool,
) -> None:
    if isinstance(statement, exp.Command):
        _check_command(statement, dialect, rules, message, writable=writable, files=files)
        return
    allowed = READ_STATEMENTS + (WRITE_STATEMENTS if writable else ())
    if not isinstance(statement, allowed):
        raise StatementRefused(message)
    for node in statement.walk():
        if isinstance(node, _STATEMENT_NODES) and not (writable and isinstance(node, allowed)):
            raise StatementRefused(message)
        if isinstance(node, exp.Create) and not _creatable(node):
            raise StatementRefused(message)
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            denied = rules.denies_function(name, files=files)
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            name = node.name.lower()
            denied = rules.denies_table(name)
        else:
            continue
        if denied:
            raise StatementRefused(f"{message} `{name}` is not available.")


def _check_command(
    command: exp.Command,
    dialect: str,
    rules: StatementRules,
    message: str,
    *,
    writable: bool,
    files: bool,
) -> None:
    """SQLGlot leaves ``EXPLAIN ...`` and ``SHOW x`` unparsed: check what they wrap."""
    keyword = command.name.upper()
    rest = command.expression
    rest = rest.name if isinstance(rest, exp.Expr) else str(rest or "")
    if keyword == "EXPLAIN":
        words = rest.split(None, 1)
        inner = words[1] if words and words[0].upper() == "ANALYZE" and len(words) > 1 else rest
        if check_statements(inner, dialect, rules, writable=writable, files=files) == 1:
            return
    elif keyword == "SHOW":
        target = rest.strip().strip('"').lower()
        if target.upper() in rules.show_forms or (
            target.replace("_", "").isalnum() and target not in rules.denied_show
        ):
            return
    raise StatementRefused(message)


def _creatable(create: exp.Create) -> bool:
    temporary = create.find(exp.TemporaryProperty) is not None
    return not temporary and str(create.args.get("kind") or "").upper() in CREATABLE
