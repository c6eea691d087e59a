import assert from "node:assert/strict";
import { test } from "node:test";
import {
  PRESETS,
  cronWords,
  errorField,
  needsThreshold,
  presetOf,
  splitRecipients,
  targetHref,
} from "../src/lib/schedules.js";

test("presets are found from their cron, anything else is custom", () => {
  for (const [value, , cron] of PRESETS.filter(([, , c]) => c)) assert.equal(presetOf(cron), value);
  assert.equal(presetOf("  0  8 * * 1 "), "weekly");
  assert.equal(presetOf("30 7 * * 1-5"), "custom");
  assert.equal(presetOf(""), "custom");
});

test("cron in words, null when it is not a cron", () => {
  assert.equal(cronWords("0 8 * * 1"), "At 08:00, only on Monday");
  assert.equal(cronWords("0 8 1 * *"), "At 08:00, on day 1 of the month");
  assert.equal(cronWords("every monday"), null);
  assert.equal(cronWords("0 25 * * *"), null);
  assert.equal(cronWords(""), null);
});

test("recipients split on commas, semicolons and lines, trimmed", () => {
  assert.deepEqual(splitRecipients(" a@example.com, b@example.org\n\nc@example.net;d@x.io ,"), [
    "a@example.com",
    "b@example.org",
    "c@example.net",
    "d@x.io",
  ]);
  assert.deepEqual(splitRecipients(""), []);
});

test("targets link to their pages; saved queries open in SQL Lab", () => {
  assert.equal(targetHref({ kind: "dashboard", id: 3 }), "/dashboards/3");
  assert.equal(targetHref({ kind: "chart", id: 4 }), "/charts/4");
  assert.equal(targetHref({ kind: "saved_query", id: 5 }), "/sqllab?saved=5");
});

test("thresholds only for comparisons", () => {
  assert.equal(needsThreshold("above"), true);
  assert.equal(needsThreshold("changed"), false);
  assert.equal(needsThreshold("any_rows"), false);
});

test("the field of a refusal: named, asked for a confirmation, or in a validation message", () => {
  const refusal = (field, message) => ({
    message,
    body: { error: { code: "invalid_schedule", field, message } },
  });
  assert.equal(errorField(refusal("cron", "Not a cron.")), "cron");
  assert.equal(
    errorField(
      refusal("recipients", "x is not a Belvedere user, and ... (recipients_see_owner_data), or ..."),
    ),
    "recipients_see_owner_data",
  );
  assert.equal(
    errorField(refusal(undefined, "Invalid request: webhook_secret: too short")),
    "webhook_secret",
  );
  assert.equal(errorField(refusal(undefined, "Something else")), null);
});
