import assert from "node:assert/strict";
import { before, test } from "node:test";
import { JSDOM } from "jsdom";

let renderMarkdown;

before(async () => {
  // DOMPurify sanitises in a DOM: the module meets jsdom's window as it would the browser's.
  const { window } = new JSDOM("<!doctype html><html><body></body></html>");
  globalThis.window = window;
  globalThis.document = window.document;
  ({ renderMarkdown } = await import("../src/lib/markdown.js"));
});

const htmlOf = (fragment) => {
  const box = document.createElement("div");
  box.append(fragment);
  return box.innerHTML;
};

test("markdown becomes markup", () => {
  const out = htmlOf(renderMarkdown("## Sales\n\n- **one**\n- two"));
  assert.match(out, /<h2>Sales<\/h2>/);
  assert.match(out, /<li><strong>one<\/strong><\/li>/);
});

test("raw HTML is shown as typed, never parsed", () => {
  const out = htmlOf(renderMarkdown('<img src=x onerror="alert(1)"> <script>alert(2)</script>'));
  assert.doesNotMatch(out, /<img|<script/);
  assert.match(out, /&lt;img src=x onerror=/);
});

test("links open in a new tab; script links are dropped", () => {
  const out = htmlOf(renderMarkdown("[docs](https://example.com) [bad](javascript:alert(1))"));
  assert.match(out, /<a href="https:\/\/example.com" target="_blank" rel="noopener noreferrer">docs<\/a>/);
  assert.doesNotMatch(out, /javascript:/);
});
