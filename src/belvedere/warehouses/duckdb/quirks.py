"""DuckDB's quirks as data: dialect, exception classes, message patterns and the sandbox."""

from __future__ import annotations

import re

from belvedere.sql.classify import StatementRules
from belvedere.warehouses.base import Quirks
from belvedere.warehouses.errors import ErrorKind, ErrorRule

#: The sandbox's refusal on a read-only connection.
READ_ONLY_MESSAGE = "Belvedere runs read-only SELECT/WITH/DESCRIBE/SHOW/EXPLAIN on this connection."

QUIRKS = Quirks(
    dialect="duckdb",
    default_schema="main",
    error_rules=(
        ErrorRule.of(r"^Binder Error: Referenced column .* not found", ErrorKind.NOT_FOUND),
        ErrorRule.of(
            r"read-only mode|read only", ErrorKind.ACCESS_DENIED, "This connection is read-only."
        ),
        ErrorRule.of(r"^Out of Memory Error", ErrorKind.RESOURCE),
        ErrorRule.of(
            r"disabled through configuration|configuration has been locked",
            ErrorKind.ACCESS_DENIED,
            READ_ONLY_MESSAGE,
        ),
    ),
)

#: DuckDB exception class name -> error kind (first the message table is consulted).
EXCEPTION_KINDS: dict[str, ErrorKind] = {
    "ParserException": ErrorKind.SYNTAX,
    "SyntaxException": ErrorKind.SYNTAX,
    "CatalogException": ErrorKind.NOT_FOUND,
    "BinderException": ErrorKind.INVALID,
    "PermissionException": ErrorKind.ACCESS_DENIED,
    "InterruptException": ErrorKind.CANCELLED,
    "OutOfMemoryException": ErrorKind.RESOURCE,
    "ConversionException": ErrorKind.INVALID,
    "InvalidInputException": ErrorKind.INVALID,
    "ConstraintException": ErrorKind.INVALID,
    "NotImplementedException": ErrorKind.INVALID,
    "TypeMismatchException": ErrorKind.INVALID,
    "OutOfRangeException": ErrorKind.INVALID,
    "IOException": ErrorKind.UNAVAILABLE,
}

#: "LINE 3: select x form y" followed by a caret line; DuckDB may elide the line's start with "...".
POSITION = re.compile(r"\n\s*LINE (?P<line>\d+): (?P<text>[^\n]*)\n(?P<caret> *)\^")

#: Engine options set at connect time: configuration locked (no SET, PRAGMA or logging), no
#: extension downloads; the allocator's background threads return freed memory to the system
#: within seconds (without them DuckDB's allocator kept ~110 MB after a few queries on the demo,
#: for good: ``bench/memory.py``). ``enable_external_access`` follows the connection's file access.
ENGINE_CONFIG: dict[str, bool] = {
    "lock_configuration": True,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allocator_background_threads": True,
}

#: Statement types (DuckDB's own parser) that user SQL may have; PIVOT parses as MULTI.
READ_STATEMENT_TYPES = frozenset({"SELECT", "EXPLAIN", "MULTI"})
WRITE_STATEMENT_TYPES = frozenset(
    {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRANSACTION", "MERGE_INTO"}
)

#: What user SQL may not reach: settings, logs, paths, other databases, session state.
SANDBOX = StatementRules(
    read_only_message=READ_ONLY_MESSAGE,
    writable_message="Belvedere runs queries and changes to this connection's own tables only: "
    "no SET, PRAGMA, CALL, ATTACH, DETACH, INSTALL, LOAD, COPY, EXPORT or temporary objects.",
    denied_functions=frozenset(
        {
            # settings and their values (paths among them)
            "current_setting",
            "duckdb_profiling_settings",
            # logging
            "enable_logging",
            "disable_logging",
            "truncate_duckdb_logs",
            "write_log",
            "enable_profiling",
            "disable_profiling",
            "enable_profile",
            "disable_profile",
            # databases and their files
            "database_list",
            "database_size",
            "show_databases",
            "checkpoint",
            "force_checkpoint",
            "enable_checkpoint_on_shutdown",
            "disable_checkpoint_on_shutdown",
            "enable_object_cache",
            "disable_object_cache",
            "import_database",
            "copy_database",
            # SQL run from a string, past this check
            "query",
            "query_table",
            "json_execute_serialized_sql",
            # shared state: sequences, secrets, grammar, external resources, Python objects
            "nextval",
            "setval",
            "which_secret",
            "add_grammar_extension",
            "remove_grammar_extension",
            "create_external_resource",
            "register_external_resource",
            "register_external_resource_type",
            "deregister_external_resource",
            "destroy_external_resource",
            "arrow_scan",
            "arrow_scan_dumb",
            "python_arrow_scan",
            "pandas_scan",
            "python_map_function",
        }
    ),
    denied_tables=frozenset({"pg_settings", "sqlite_temp_master", "sqlite_temp_schema"}),
    denied_prefixes=("duckdb_", "pragma_"),
    allowed_names=frozenset(
        {
            "duckdb_columns",
            "duckdb_constraints",
            "duckdb_dependencies",
            "duckdb_functions",
            "duckdb_indexes",
            "duckdb_keywords",
            "duckdb_schemas",
            "duckdb_sequences",
            "duckdb_tables",
            "duckdb_types",
            "duckdb_views",
            "pragma_table_info",
        }
    ),
    file_names=frozenset({"glob", "sniff_csv", "parquet_scan", "read_duckdb"}),
    file_prefixes=("read_", "parquet_", "iceberg_", "delta_"),
    show_forms=frozenset({"DATABASES", "TABLES", "ALL TABLES"}),
)
