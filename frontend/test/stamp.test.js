import { test } from "node:test";
import assert from "node:assert/strict";
import { stamp } from "../src/lib/format.js";

test("a log time shows its date and seconds, in the viewer's time zone", () => {
  assert.equal(stamp(new Date(2026, 11, 6, 14, 3, 12).toISOString()), "6 Dec 2026, 14:03:12");
  assert.equal(stamp(new Date(2027, 0, 31, 9, 5, 7).toISOString()), "31 Jan 2027, 09:05:07");
  assert.equal(stamp("not a time"), "");
});
