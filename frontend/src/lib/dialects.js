// SQL dialects, by a connection's `dialect`: the editor's highlighting and keywords, where
// unqualified names live, and how names are quoted when the schema browser inserts them.
import { PostgreSQL, SQLDialect, StandardSQL } from "@codemirror/lang-sql";

const DUCKDB_KEYWORDS =
  "anti asof attach columns describe detach exclude export force glob ilike import install " +
  "load macro pivot pivot_longer pivot_wider positional pragma qualify rename replace sample " +
  "semi summarize unpivot use using";

const DUCKDB_TYPES =
  "hugeint uhugeint ubigint uinteger usmallint utinyint tinyint blob list map struct union " +
  "enum varint timestamptz timestamp_s timestamp_ms timestamp_ns uuid json";

const DUCKDB_BUILTINS =
  "range generate_series read_csv read_csv_auto read_parquet read_json read_json_auto " +
  "list_value struct_pack unnest strftime strptime date_trunc date_part epoch_ms " +
  "arg_max arg_min any_value approx_count_distinct quantile_cont quantile_disc median mode " +
  "string_agg list_agg histogram regexp_matches regexp_extract regexp_replace";

/** DuckDB: PostgreSQL's grammar and words, plus DuckDB's own. */
export const DuckDB = SQLDialect.define({
  ...PostgreSQL.spec,
  keywords: `${PostgreSQL.spec.keywords} ${DUCKDB_KEYWORDS}`,
  types: `${PostgreSQL.spec.types} ${DUCKDB_TYPES}`,
  builtin: `${PostgreSQL.spec.builtin || ""} ${DUCKDB_BUILTINS}`,
});

// GoogleSQL's reserved keywords (they must be quoted to serve as names).
const BIGQUERY_RESERVED =
  "all and any array as asc assert_rows_modified at between by case cast collate contains create " +
  "cross cube current default define desc distinct else end enum escape except exclude exists " +
  "extract false fetch following for from full group grouping groups hash having if ignore in " +
  "inner intersect interval into is join lateral left like limit lookup merge natural new no not " +
  "null nulls of on or order outer over partition preceding proto qualify range recursive " +
  "respect right rollup rows select set some struct tablesample then to treat true unbounded " +
  "union unnest using when where window with within";

const BIGQUERY_KEYWORDS =
  `${BIGQUERY_RESERVED} alter begin commit declare delete drop execute immediate insert ` +
  "language materialized options procedure replace returns rollback schema table temp " +
  "temporary transaction truncate update values view while loop";

const BIGQUERY_TYPES =
  "int64 int integer smallint bigint tinyint byteint float64 numeric bignumeric decimal " +
  "bigdecimal bool boolean string bytes date datetime time timestamp geography json";

const BIGQUERY_BUILTINS =
  "array_agg array_length array_to_string approx_count_distinct approx_quantiles approx_top_count " +
  "countif current_date current_datetime current_timestamp date_add date_diff date_sub " +
  "date_trunc datetime_diff datetime_trunc format_date format_timestamp generate_array " +
  "generate_date_array ifnull json_extract json_value json_query logical_and logical_or " +
  "parse_date parse_timestamp regexp_contains regexp_extract regexp_replace safe_cast " +
  "safe_divide split string_agg struct timestamp_diff timestamp_trunc unnest";

/** BigQuery (GoogleSQL): backtick-quoted names, # comments, its own types and functions. */
export const BigQuery = SQLDialect.define({
  keywords: BIGQUERY_KEYWORDS,
  types: BIGQUERY_TYPES,
  builtin: BIGQUERY_BUILTINS,
  identifierQuotes: "`",
  hashComments: true,
  doubleQuotedStrings: true,
  caseInsensitiveIdentifiers: true,
});

// Words PostgreSQL (and so DuckDB) reserve: a name spelled like one must be quoted.
const POSTGRES_RESERVED =
  "all analyse analyze and any array as asc asymmetric authorization binary both case cast check " +
  "collate collation column concurrently constraint create cross current_catalog current_date " +
  "current_role current_schema current_time current_timestamp current_user default deferrable " +
  "desc distinct do else end except false fetch for foreign freeze from full grant group having " +
  "ilike in initially inner intersect into is isnull join lateral leading left like limit " +
  "localtime localtimestamp natural not notnull null offset on only or order outer overlaps " +
  "placing primary qualify references returning right select session_user similar some " +
  "symmetric table tablesample then to trailing true union unique user using variadic verbose " +
  "when where window with pivot unpivot";

const words = (text) => new Set(text.split(/\s+/));
const RESERVED = { bigquery: words(BIGQUERY_RESERVED), postgres: words(POSTGRES_RESERVED) };
RESERVED.duckdb = RESERVED.postgres;

const BY_DIALECT = { duckdb: DuckDB, postgres: PostgreSQL, bigquery: BigQuery };

/** The editor's dialect of a connection's SQL dialect. */
export function dialectFor(dialect) {
  return BY_DIALECT[dialect] || StandardSQL;
}

/** The schema unqualified table names resolve to on a connection (null if none). */
export function defaultSchemaFor(connection) {
  if (!connection) return null;
  if (connection.dialect === "bigquery") return connection.options?.default_dataset || null;
  return { duckdb: "main", postgres: "public" }[connection.dialect] || null;
}

/** One name as SQL: bare when it can be, quoted for the dialect otherwise. */
export function quoteIdent(name, dialect) {
  const reserved = RESERVED[dialect] || RESERVED.postgres;
  if (dialect === "bigquery") {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !reserved.has(name.toLowerCase())) return name;
    return `\`${name.replaceAll("\\", "\\\\").replaceAll("`", "\\`")}\``;
  }
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !reserved.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The project BigQuery table names must carry: the data's project when jobs run (and so
 * unqualified names resolve) in another, billing project; else null.
 */
export function projectFor(connection) {
  const { project, billing_project: billing } = connection?.options || {};
  return connection?.dialect === "bigquery" && billing && billing !== project ? project : null;
}

/**
 * A table as SQL. BigQuery: `dataset.table` in backticks (always qualified, so it works with or
 * without a default dataset; `project.dataset.table` when `project` is given); others: the
 * schema left out when it is the default one.
 */
export function tableName(schema, table, dialect, defaultSchema = null, project = null) {
  if (dialect === "bigquery") return `\`${project ? `${project}.` : ""}${schema}.${table}\``;
  const name = quoteIdent(table, dialect);
  return schema === defaultSchema ? name : `${quoteIdent(schema, dialect)}.${name}`;
}

/** A column or nested field (["person", "address", "city"]) as SQL, each part quoted as needed. */
export function columnPath(parts, dialect) {
  return parts.map((part) => quoteIdent(part, dialect)).join(".");
}

/** Whether a kind of table can be read directly (without a query) on a dialect. */
export function readsDirectly(kind, dialect) {
  if (dialect !== "bigquery") return true;
  return kind === "table" || kind === "snapshot";
}
