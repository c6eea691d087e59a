import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_RUNS,
  MAX_TABS,
  activeTab,
  addTab,
  cleanTitle,
  closeTab,
  nextTitle,
  readTabs,
  recordRun,
  updateTab,
} from "../src/lib/query-tabs.js";

test("a first visit makes one tab of the single editor's text of old", () => {
  const state = readTabs(null, { sql: "SELECT 1", connection: "demo" });
  assert.equal(state.tabs.length, 1);
  assert.deepEqual(
    { title: state.tabs[0].title, sql: state.tabs[0].sql, connection: state.tabs[0].connection },
    { title: "Query 1", sql: "SELECT 1", connection: "demo" },
  );
  assert.equal(state.active, state.tabs[0].id);
});

test("stored tabs are read field by field: junk is dropped, duplicates too", () => {
  const raw = {
    active: "nope",
    tabs: [
      { id: "a", title: "  Sales\nby  month ", sql: 5, runs: ["r1", 2], anchor: -1, head: 3 },
      { id: "a", title: "again" },
      null,
      "tab",
      { title: "no id" },
      { id: "b", title: "", sql: "SELECT 2", runId: "r9", savedId: "7" },
    ],
  };
  const { tabs, active } = readTabs(raw);
  assert.deepEqual(
    tabs.map((t) => [t.id, t.title, t.sql, t.runs, t.anchor, t.head, t.runId, t.savedId]),
    [
      ["a", "Sales by month", "", ["r1"], null, 3, null, null],
      ["b", "Query", "SELECT 2", [], null, null, "r9", null],
    ],
  );
  assert.equal(active, "a");
});

test("a new tab takes the first free name and becomes active", () => {
  let state = readTabs(null);
  state = updateTab(state, state.active, { title: "Markers" });
  state = addTab(state, { connection: "demo" });
  assert.deepEqual(
    state.tabs.map((t) => t.title),
    ["Markers", "Query 1"],
  );
  assert.equal(activeTab(state).title, "Query 1");
  state = addTab(state, { title: "From a chart", sql: "SELECT 7" });
  assert.equal(activeTab(state).sql, "SELECT 7");
  assert.equal(new Set(state.tabs.map((t) => t.id)).size, 3);
  assert.equal(nextTitle(state.tabs), "Query 2");
});

test("tabs past the limit drop the oldest", () => {
  let state = readTabs(null);
  for (let i = 0; i < MAX_TABS + 3; i++) state = addTab(state);
  assert.equal(state.tabs.length, MAX_TABS);
  assert.equal(activeTab(state).id, state.tabs.at(-1).id);
});

test("closing a tab shows its neighbour; closing the last leaves a fresh one", () => {
  let state = addTab(addTab(readTabs(null)));
  const [first, second, third] = state.tabs.map((t) => t.id);
  state = closeTab({ ...state, active: second }, second);
  assert.deepEqual(
    state.tabs.map((t) => t.id),
    [first, third],
  );
  assert.equal(state.active, third);
  state = closeTab(state, first);
  assert.equal(state.active, third);
  state = closeTab(state, third);
  assert.equal(state.tabs.length, 1);
  assert.equal(state.tabs[0].sql, "");
  assert.equal(state.active, state.tabs[0].id);
  assert.equal(closeTab(state, "unknown"), state);
});

test("renaming keeps one line; an empty name keeps the old one", () => {
  let state = readTabs(null);
  state = updateTab(state, state.active, { title: "  " });
  assert.equal(activeTab(state).title, "Query 1");
  state = updateTab(state, state.active, { title: `a\r\nb${"x".repeat(200)}` });
  assert.equal(activeTab(state).title, cleanTitle(`a b${"x".repeat(200)}`));
  assert.equal(activeTab(state).title.length, 80);
});

test("a tab's runs: the last one, and a bounded history", () => {
  let state = readTabs(null);
  for (let i = 0; i < MAX_RUNS + 5; i++) state = recordRun(state, state.active, `r${i}`);
  state = recordRun(state, state.active, "r10");
  const tab = activeTab(state);
  assert.equal(tab.runId, "r10");
  assert.equal(tab.runs.length, MAX_RUNS);
  assert.equal(tab.runs.at(-1), "r10");
  assert.equal(recordRun(state, "unknown", "r1"), state);
});
