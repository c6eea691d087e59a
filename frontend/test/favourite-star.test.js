import assert from "node:assert/strict";
import { before, test } from "node:test";
import { JSDOM } from "jsdom";

let favouriteStar;
let calls = [];
let answer = { status: 200, body: "{}" };

before(async () => {
  const { window } = new JSDOM("<!doctype html><html><body></body></html>");
  globalThis.window = window;
  globalThis.document = window.document;
  globalThis.Node = window.Node;
  globalThis.location = window.location;
  globalThis.fetch = async (path, init) => {
    calls.push([init.method, path]);
    return new Response(answer.body, { status: answer.status });
  };
  ({ favouriteStar } = await import("../src/components/favourite-star.js"));
});

/** Wait until the star's click has settled (its request answered and shown): not busy. */
async function settled(star) {
  for (let turn = 0; turn < 1000 && star.dataset.busy; turn++) await new Promise(setImmediate);
  assert.equal(star.dataset.busy, undefined, "the click did not settle");
}

test("a star stars and unstars through the API, and says which it is", async () => {
  calls = [];
  answer = { status: 200, body: "{}" };
  const changes = [];
  const star = favouriteStar("saved_query", 7, false, {
    name: "Revenue",
    onChange: (on) => changes.push(on),
  });
  assert.equal(star.tagName, "BUTTON");
  assert.equal(star.getAttribute("aria-pressed"), "false");
  assert.equal(star.getAttribute("aria-label"), "Favourite: Revenue");
  star.click();
  await settled(star);
  assert.deepEqual(calls, [["PUT", "/api/v1/me/favourites/saved_query/7"]]);
  assert.equal(star.getAttribute("aria-pressed"), "true");
  answer = { status: 204, body: null };
  star.click();
  await settled(star);
  assert.deepEqual(calls[1], ["DELETE", "/api/v1/me/favourites/saved_query/7"]);
  assert.equal(star.getAttribute("aria-pressed"), "false");
  assert.deepEqual(changes, [true, false]);
});

test("a refusal puts the star back and says why", async () => {
  answer = {
    status: 404,
    body: JSON.stringify({ error: { code: "chart_not_found", message: "No chart 9." } }),
  };
  const star = favouriteStar("chart", 9, false);
  star.click();
  await settled(star);
  assert.equal(star.getAttribute("aria-pressed"), "false");
  assert.match(star.title, /Could not star this chart: No chart 9\./);
  assert.throws(() => favouriteStar("table", 1, false), /Unknown favourite kind/);
});
