// The Schedule dialog of a dashboard, a chart or a saved query (and the Schedules page's Edit):
// a report or an alert, when (a preset or a cron, in a time zone), to whom (e-mail addresses
// or a webhook), as whom, active or paused. A refusal shows its message next to the field it
// names and keeps what was typed; once saved, the dialog says when the next run is (saving
// again changes that schedule).
import { get, patch, post } from "../lib/api.js";
import { field, openDialog } from "./dialog.js";
import { h, replace } from "../lib/dom.js";
import {
  CONDITIONS,
  PRESETS,
  browserTimeZone,
  cronWords,
  dateTime,
  errorField,
  needsThreshold,
  presetOf,
  splitRecipients,
} from "../lib/schedules.js";

const API = "/api/v1/schedules";
const PER_USER_IDENTITIES = new Set(["user_oauth", "impersonation"]);
const MIN_SECRET_CHARS = 16;
/** Where a refusal naming an API field is shown, when the dialog has no control of that name. */
const SHOWN_AT = { alert: "kind", target: "kind", "alert.condition": "kind" };

/** The connections a target queries: its own, or those of its dashboard's charts. */
async function targetConnections({ kind, id }) {
  if (kind === "dashboard") {
    const dashboard = await get(`/api/v1/dashboards/${encodeURIComponent(id)}`);
    return Object.values(dashboard.charts || {}).map((c) => c.connection);
  }
  const path = kind === "chart" ? "/api/v1/charts" : "/api/v1/saved-queries";
  return [(await get(`${path}/${encodeURIComponent(id)}`)).connection];
}

/** Whether every connection of the target queries as each user ("as each recipient" then). */
async function queriesAsEachUser(target, names) {
  const used = names ?? (await targetConnections(target));
  if (!used.length) return false;
  const all = await get("/api/v1/connections");
  const personal = new Set(
    all.filter((c) => PER_USER_IDENTITIES.has(c.options?.identity)).map((c) => c.name),
  );
  return used.every((name) => personal.has(name));
}

const option = (value, label, selected) => h("option", { value, selected: value === selected }, label);

/**
 * Open the dialog. `target`: {kind, id, name}; `schedule`: the API's schedule to change, if
 * any; `connections`: the names of the connections the target queries, when the caller knows
 * them; onSaved(schedule) gets each answer of the API.
 */
export function openScheduleDialog({ target, schedule = null, connections = null, onSaved = () => {} }) {
  let saved = schedule;
  const alert = saved?.alert || null;
  const slots = new Map(); // field name -> {line, control, wrapper}
  const testid = (name) => `schedule-${name.replace(/_/g, "-")}`;

  function withError(name, wrapper, control) {
    const line = h("p", {
      class: "field-error",
      role: "alert",
      hidden: true,
      "data-testid": `${testid(name)}-error`,
    });
    wrapper.append(line);
    slots.set(name, { line, control, wrapper });
    return wrapper;
  }

  // ----- what and when

  const name = h("input", {
    name: "name",
    required: true,
    maxlength: "200",
    autocomplete: "off",
    value: saved?.name || target.name || "",
    "data-testid": testid("name"),
  });
  const canAlert = target.kind !== "dashboard";
  const kind = h(
    "select",
    { name: "kind", "data-testid": testid("kind"), onchange: () => drawKind() },
    option("report", "Report: send the results", alert ? "alert" : "report"),
    option("alert", "Alert: send when a condition holds", alert ? "alert" : "report"),
  );
  const condition = h(
    "select",
    { name: "condition", "data-testid": testid("condition"), onchange: () => drawKind() },
    CONDITIONS.map(([value, label]) => option(value, label, alert?.condition || "above")),
  );
  const threshold = h("input", {
    name: "threshold",
    type: "number",
    step: "any",
    value: alert?.value ?? "",
    "data-testid": testid("threshold"),
  });
  const column = h("input", {
    name: "column",
    maxlength: "200",
    autocomplete: "off",
    placeholder: "the first numeric column",
    value: alert?.column || "",
    "data-testid": testid("column"),
  });
  const renotify = h("input", {
    name: "renotify",
    type: "number",
    min: "1",
    step: "1",
    placeholder: "never",
    value: alert?.renotify_minutes ?? "",
    "data-testid": testid("renotify"),
  });
  const thresholdField = withError("alert.value", field("Threshold", threshold), threshold);
  const alertFields = h(
    "div",
    { class: "schedule-alert", "data-testid": testid("alert") },
    withError(
      "alert.column",
      field("Metric column", column, "The column compared; empty: the first numeric one."),
      column,
    ),
    field("When the metric", condition),
    thresholdField,
    withError(
      "alert.renotify_minutes",
      field("While still true, notify again after (minutes)", renotify, "Empty: once, until it recovers."),
      renotify,
    ),
  );

  const cronStart = saved?.cron || PRESETS[1][2];
  const preset = h(
    "select",
    {
      name: "preset",
      "data-testid": testid("preset"),
      onchange: () => {
        const chosen = PRESETS.find(([value]) => value === preset.value);
        if (chosen?.[2]) cron.value = chosen[2];
        else cron.focus();
        drawCron();
      },
    },
    PRESETS.map(([value, label]) => option(value, label, presetOf(cronStart))),
  );
  const cron = h("input", {
    name: "cron",
    required: true,
    maxlength: "200",
    autocomplete: "off",
    spellcheck: "false",
    value: cronStart,
    class: "mono",
    "data-testid": testid("cron"),
    oninput: () => {
      preset.value = presetOf(cron.value);
      drawCron();
    },
  });
  const cronHelp = h("small", { class: "help", "aria-live": "polite", "data-testid": testid("cron-words") });
  const zones = h(
    "datalist",
    { id: "schedule-time-zones" },
    (Intl.supportedValuesOf?.("timeZone") || []).map((z) => h("option", { value: z })),
  );
  const zone = h("input", {
    name: "timezone",
    required: true,
    maxlength: "100",
    autocomplete: "off",
    list: zones.id,
    value: saved?.timezone || browserTimeZone(),
    "data-testid": testid("timezone"),
  });
  const cronField = withError("cron", field("Cron (minute hour day-of-month month day-of-week)", cron), cron);
  cronField.append(cronHelp);

  // ----- to whom, as whom

  const channel = h(
    "select",
    { name: "channel", "data-testid": testid("channel"), onchange: () => drawChannel() },
    option("email", "E-mail", saved?.channel || "email"),
    option("webhook", "Webhook (Slack-compatible JSON)", saved?.channel || "email"),
  );
  const recipients = h(
    "textarea",
    { name: "recipients", rows: "3", spellcheck: "false", "data-testid": testid("recipients") },
    (saved?.recipients || []).join("\n"),
  );
  const webhookUrl = h("input", {
    name: "webhook_url",
    type: "url",
    maxlength: "2000",
    autocomplete: "off",
    placeholder: saved?.webhook_url ? `${saved.webhook_url} (kept: type a new URL to change it)` : "https://",
    "data-testid": testid("webhook-url"),
  });
  const secret = h("input", {
    name: "webhook_secret",
    type: "password",
    autocomplete: "new-password",
    maxlength: "200",
    placeholder: saved?.webhook_signed ? "kept: type a new one to change it" : "none",
    "data-testid": testid("webhook-secret"),
  });
  const recipientsField = withError(
    "recipients",
    field(
      "Recipients",
      recipients,
      "E-mail addresses, separated by commas or new lines. Each e-mail holds the charts as pictures, their tables, each chart's data as a CSV file, and a link back.",
    ),
    recipients,
  );
  const webhookFields = h(
    "div",
    { class: "schedule-webhook" },
    withError("webhook_url", field("Webhook URL", webhookUrl), webhookUrl),
    withError(
      "webhook_secret",
      field(
        "Signing secret",
        secret,
        `Signs each request (X-Belvedere-Signature); ${MIN_SECRET_CHARS} characters or more.`,
      ),
      secret,
    ),
  );
  const runAs = h(
    "select",
    { name: "run_as", "data-testid": testid("run-as") },
    option("owner", "You: everyone gets your rows", saved?.run_as || "owner"),
    saved?.run_as === "recipient" && option("recipient", "Each recipient: their own rows", "recipient"),
  );
  const offerRecipient = () => {
    if (!runAs.querySelector('option[value="recipient"]'))
      runAs.append(option("recipient", "Each recipient: their own rows", runAs.value));
  };
  const confirm = h("input", {
    type: "checkbox",
    name: "recipients_see_owner_data",
    checked: Boolean(saved?.recipients_see_owner_data),
    "data-testid": testid("confirm"),
  });
  const confirmField = withError(
    "recipients_see_owner_data",
    h(
      "div",
      { class: "field checkbox", hidden: !saved?.recipients_see_owner_data },
      h("label", {}, confirm, " Recipients will see what I see"),
    ),
    confirm,
  );
  const active = h("input", {
    type: "checkbox",
    name: "active",
    checked: saved ? saved.active : true,
    "data-testid": testid("active"),
  });
  const status = h("p", {
    class: "notice success schedule-saved",
    role: "status",
    hidden: true,
    "data-testid": "schedule-saved",
  });

  // ----- drawing

  function drawKind() {
    const isAlert = canAlert && kind.value === "alert";
    alertFields.hidden = !isAlert;
    thresholdField.hidden = !needsThreshold(condition.value);
  }

  function drawCron() {
    const words = cronWords(cron.value);
    cronHelp.textContent =
      words || "Five fields: minute hour day-of-month month day-of-week, e.g. 30 7 * * 1-5.";
  }

  function drawChannel() {
    const email = channel.value === "email";
    recipientsField.hidden = !email;
    webhookFields.hidden = email;
  }

  function clearErrors() {
    for (const { line, control } of slots.values()) {
      line.hidden = true;
      line.textContent = "";
      control.removeAttribute("aria-invalid");
    }
  }

  /** Show a refusal next to its field; false when the dialog has no place for it. */
  function showError(apiField, message) {
    const slot = slots.get(SHOWN_AT[apiField] || apiField);
    if (!slot) return false;
    if (apiField === "recipients_see_owner_data") confirmField.hidden = false;
    slot.wrapper.hidden = false;
    slot.line.textContent = message;
    slot.line.hidden = false;
    slot.control.setAttribute("aria-invalid", "true");
    slot.control.focus();
    return true;
  }

  function showSaved() {
    dialog.querySelector("h2").textContent = `Schedule “${saved.name}”`;
    dialog.querySelector('[data-testid="dialog-cancel"]').textContent = "Close";
    const when = saved.next_run_at
      ? [
          "Saved. Next run: ",
          h("time", { datetime: saved.next_run_at }, `${dateTime(saved.next_run_at, saved.timezone)}`),
          ` (${saved.timezone})`,
          saved.timezone !== browserTimeZone() ? `, ${dateTime(saved.next_run_at)} your time` : "",
          ". ",
        ]
      : "Saved, paused: it does not run until you make it active. ";
    replace(
      status,
      when,
      h("a", { href: "/schedules", "data-testid": "schedule-page-link" }, "All your schedules"),
    );
    status.hidden = false;
  }

  // ----- sending

  function payload() {
    const email = channel.value === "email";
    const body = {
      name: name.value.trim(),
      cron: cron.value.trim(),
      timezone: zone.value.trim(),
      channel: channel.value,
      recipients: email ? splitRecipients(recipients.value) : [],
      run_as: runAs.value,
      active: active.checked,
      alert: null,
      recipients_see_owner_data: confirm.checked,
    };
    if (canAlert && kind.value === "alert") {
      body.alert = {
        condition: condition.value,
        column: column.value.trim() || null,
        value: needsThreshold(condition.value) && threshold.value !== "" ? Number(threshold.value) : null,
        renotify_minutes: renotify.value === "" ? null : Number(renotify.value),
      };
    }
    const url = webhookUrl.value.trim();
    if (email) body.webhook_url = null;
    else if (url || !saved) body.webhook_url = url || null; // when changing, empty keeps the URL
    if (!email && secret.value) body.webhook_secret = secret.value;
    return body;
  }

  async function submit() {
    clearErrors();
    status.hidden = true;
    if (!name.value.trim()) return !showError("name", "Give the schedule a name.");
    if (channel.value === "webhook" && secret.value && secret.value.length < MIN_SECRET_CHARS)
      return !showError("webhook_secret", `A secret has at least ${MIN_SECRET_CHARS} characters.`);
    const body = payload();
    try {
      saved = saved
        ? await patch(`${API}/${saved.id}`, body)
        : await post(API, { ...body, target: { kind: target.kind, id: target.id } });
    } catch (error) {
      if (error.status !== 422 || !showError(errorField(error), error.message)) throw error;
      return false;
    }
    secret.value = "";
    webhookUrl.value = "";
    if (saved.webhook_url)
      webhookUrl.placeholder = `${saved.webhook_url} (kept: type a new URL to change it)`;
    if (saved.webhook_signed) secret.placeholder = "kept: type a new one to change it";
    showSaved();
    onSaved(saved);
    return false; // stays open to say when it runs
  }

  const { dialog } = openDialog({
    title: saved ? `Schedule “${saved.name}”` : `Schedule ${target.name ? `“${target.name}”` : "a report"}`,
    testid: "schedule-dialog",
    wide: true,
    body: [
      withError("name", field("Name", name, "Also the e-mail's subject."), name),
      canAlert
        ? withError("kind", field("Kind", kind), kind)
        : withError("kind", h("div", { hidden: true }), name),
      alertFields,
      h(
        "div",
        { class: "schedule-when" },
        field("When", preset),
        withError("timezone", field("Time zone", zone), zone),
      ),
      cronField,
      zones,
      withError("channel", field("Send by", channel), channel),
      recipientsField,
      webhookFields,
      withError("run_as", field("Run the queries as", runAs), runAs),
      confirmField,
      h("div", { class: "field checkbox" }, h("label", {}, active, " Active (unchecked: paused)")),
      status,
    ],
    actions: [{ label: "Save", value: "save", primary: true, testid: "schedule-save" }],
    onSubmit: submit,
  });
  dialog.classList.add("schedule-dialog");
  drawKind();
  drawCron();
  drawChannel();
  name.select();
  queriesAsEachUser(target, connections)
    .then((offered) => offered && offerRecipient())
    .catch(() => {}); // not offered: the owner's rows only
  return dialog;
}
