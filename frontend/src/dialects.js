// SQL dialects of the editor, by connection kind (highlighting and keyword completion).
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

const BY_KIND = { duckdb: DuckDB, postgres: PostgreSQL };

/** Each kind's dialect, and the schema its unqualified names live in. */
export function dialectFor(kind) {
  return BY_KIND[kind] || StandardSQL;
}

export function defaultSchemaFor(kind) {
  return { duckdb: "main", postgres: "public" }[kind] || null;
}
