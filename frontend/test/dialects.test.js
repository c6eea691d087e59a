import assert from "node:assert/strict";
import { test } from "node:test";
import {
  columnPath,
  defaultSchemaFor,
  projectFor,
  quoteIdent,
  readsDirectly,
  tableName,
} from "../src/lib/dialects.js";

test("names are quoted only when they must be", () => {
  assert.equal(quoteIdent("sales", "postgres"), "sales");
  assert.equal(quoteIdent("Sales", "postgres"), '"Sales"');
  assert.equal(quoteIdent('a"b', "duckdb"), '"a""b"');
  assert.equal(quoteIdent("select", "postgres"), '"select"');
  assert.equal(quoteIdent("Sales", "bigquery"), "Sales");
  assert.equal(quoteIdent("my-table", "bigquery"), "`my-table`");
});

test("tables: BigQuery always qualified in backticks, others without the default schema", () => {
  assert.equal(tableName("ds", "t", "bigquery"), "`ds.t`");
  assert.equal(tableName("ds", "t", "bigquery", null, "proj"), "`proj.ds.t`");
  assert.equal(tableName("main", "t", "duckdb", "main"), "t");
  assert.equal(tableName("Other", "t", "duckdb", "main"), '"Other".t');
  assert.equal(columnPath(["person", "First Name"], "postgres"), 'person."First Name"');
});

test("default schemas and projects by connection", () => {
  assert.equal(defaultSchemaFor({ dialect: "duckdb" }), "main");
  assert.equal(defaultSchemaFor({ dialect: "postgres" }), "public");
  assert.equal(defaultSchemaFor({ dialect: "bigquery", options: { default_dataset: "ds" } }), "ds");
  assert.equal(defaultSchemaFor(null), null);
  const billed = { dialect: "bigquery", options: { project: "data", billing_project: "bill" } };
  assert.equal(projectFor(billed), "data");
  assert.equal(projectFor({ dialect: "bigquery", options: { project: "data" } }), null);
});

test("direct reads: views need a query on BigQuery", () => {
  assert.equal(readsDirectly("view", "bigquery"), false);
  assert.equal(readsDirectly("table", "bigquery"), true);
  assert.equal(readsDirectly("view", "duckdb"), true);
});
