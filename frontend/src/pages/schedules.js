// The Schedules page: your schedules (an admin's: everyone's) with what they send, when, their
// next and last run; pause or resume, send now, edit, delete, and each one's delivery history.
// A schedule Belvedere paused says why, with the link to reconnect when a grant is missing.
import { del, get, patch, post, url } from "../lib/api.js";
import { listAuthorizations } from "../components/authorize.js";
import { openDialog } from "../components/dialog.js";
import { openScheduleDialog } from "../components/schedule-dialog.js";
import { byId, h, replace } from "../lib/dom.js";
import { TARGET_LABELS, cronWords, dateTime, targetHref } from "../lib/schedules.js";

const API = "/api/v1/schedules";
const POLL_MS = 1000;
const POLL_TIMES = 120; // a send now is followed for two minutes at most
const STATUS_LABELS = {
  sent: "Sent",
  failed: "Failed",
  retrying: "Retrying",
  skipped: "Skipped",
  private: "Private", // run as that recipient: only they and admins see how it went
};
const CHANNELS = { email: "E-mail", webhook: "Webhook" };

const muted = (text) => h("span", { class: "muted" }, text);
const badge = (status) =>
  h("span", { class: `badge status-${status}`, "data-status": status }, STATUS_LABELS[status] || status);
const time = (iso, zone) =>
  iso ? h("time", { datetime: iso, title: iso }, dateTime(iso, zone)) : muted("—");

export async function init() {
  const list = byId("schedule-list");
  const flash = byId("schedules-flash");
  let schedules = [];
  let names = new Map(); // "kind:id" -> the target's name
  let authorizations = new Map(); // connection -> your authorization
  const histories = new Map(); // schedule id shown -> its deliveries, or {error}
  const following = new Map(); // schedule id -> {after: newest delivery id before, polls}
  let timer = null;

  function say(kind, ...message) {
    replace(
      flash,
      h("p", { class: `notice ${kind}`, role: kind === "success" ? "status" : "alert" }, message),
    );
  }

  const key = (target) => `${target.kind}:${target.id}`;
  const targetName = (target) => names.get(key(target)) || `${TARGET_LABELS[target.kind]} ${target.id}`;

  async function loadNames() {
    const [queries, charts, dashboards] = await Promise.allSettled([
      get("/api/v1/saved-queries"),
      get("/api/v1/charts"),
      get("/api/v1/dashboards"),
    ]);
    const found = new Map();
    for (const q of queries.value || []) found.set(`saved_query:${q.id}`, q.name);
    for (const c of charts.value?.charts || []) found.set(`chart:${c.id}`, c.name);
    for (const d of dashboards.value?.dashboards || []) found.set(`dashboard:${d.id}`, d.title);
    names = found;
  }

  function upsert(schedule) {
    const at = schedules.findIndex((s) => s.id === schedule.id);
    if (at >= 0) schedules[at] = schedule;
    else schedules.push(schedule);
    schedules.sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  }

  // ----- actions

  async function setActive(schedule, active) {
    try {
      upsert(await patch(`${API}/${schedule.id}`, { active }));
      say("success", `“${schedule.name}” is ${active ? "active again" : "paused"}.`);
    } catch (error) {
      say("warning", `Could not ${active ? "resume" : "pause"} “${schedule.name}”: ${error.message}`);
    }
    render();
  }

  async function sendNow(schedule) {
    const shown = histories.get(schedule.id);
    const before = Array.isArray(shown)
      ? shown
      : await get(`${API}/${schedule.id}/deliveries`, { limit: 1 }).catch(() => []);
    try {
      await post(`${API}/${schedule.id}/send`);
    } catch (error) {
      say("warning", `Could not send “${schedule.name}”: ${error.message}`);
      return;
    }
    say("success", `Sending “${schedule.name}” now: its history shows how it goes.`);
    following.set(schedule.id, { after: before[0]?.id ?? 0, polls: 0 });
    if (!histories.has(schedule.id)) histories.set(schedule.id, before);
    render();
    poll();
  }

  function edit(schedule) {
    openScheduleDialog({
      target: { ...schedule.target, name: targetName(schedule.target) },
      schedule,
      onSaved: (changed) => {
        upsert(changed);
        render();
      },
    });
  }

  function confirmDelete(schedule) {
    openDialog({
      title: `Delete “${schedule.name}”?`,
      testid: "schedule-delete-dialog",
      body: h("p", {}, "It stops sending, and its delivery history goes with it. This cannot be undone."),
      actions: [{ label: "Delete", value: "delete", danger: true, testid: "schedule-delete-confirm" }],
      onSubmit: async () => {
        await del(`${API}/${schedule.id}`);
        schedules = schedules.filter((s) => s.id !== schedule.id);
        histories.delete(schedule.id);
        following.delete(schedule.id);
        render();
        say("success", `Deleted “${schedule.name}”.`);
      },
    });
  }

  async function loadHistory(schedule) {
    try {
      histories.set(schedule.id, await get(`${API}/${schedule.id}/deliveries`, { limit: 50 }));
    } catch (error) {
      histories.set(schedule.id, { error: error.message });
    }
  }

  async function toggleHistory(schedule) {
    if (histories.has(schedule.id)) {
      histories.delete(schedule.id);
      following.delete(schedule.id);
      render();
      return;
    }
    histories.set(schedule.id, null); // loading
    render();
    await loadHistory(schedule);
    render();
  }

  /** Follow the sends under way: their deliveries and the schedule's last run, until done. */
  function poll() {
    clearTimeout(timer);
    if (following.size === 0) return;
    timer = setTimeout(async () => {
      for (const [id, follow] of following) {
        const schedule = schedules.find((s) => s.id === id);
        follow.polls += 1;
        if (!schedule || !histories.has(id) || follow.polls > POLL_TIMES) {
          following.delete(id);
          continue;
        }
        await loadHistory(schedule);
        const found = histories.get(id);
        const fresh = Array.isArray(found) ? found.filter((d) => d.id > follow.after) : [];
        if (fresh.length > 0 && fresh.every((d) => d.finished_at)) {
          following.delete(id);
          upsert(await get(`${API}/${id}`).catch(() => schedule));
        }
      }
      render();
      poll();
    }, POLL_MS);
  }

  // ----- drawing

  function pausedNote(schedule) {
    if (schedule.active || !schedule.paused_reason) return null;
    const reason = schedule.paused_reason;
    const grant = [...authorizations.keys()].find((name) => reason.includes(`query ${name}`));
    return h(
      "p",
      { class: "paused-reason", "data-testid": "schedule-paused-reason" },
      `Paused: ${reason} `,
      schedule.mine &&
        grant &&
        h(
          "a",
          {
            class: "button small",
            href: url("/auth/warehouse/start", { connection: grant, next: "/schedules" }),
            "data-testid": "schedule-reconnect",
          },
          `Reconnect to ${grant}`,
        ),
    );
  }

  function whenCell(schedule) {
    const words = cronWords(schedule.cron);
    return h(
      "td",
      { class: "when", title: `cron: ${schedule.cron}` },
      words || h("code", {}, schedule.cron),
      h("div", { class: "muted zone" }, schedule.timezone),
    );
  }

  function button(label, testid, onclick, attrs = {}) {
    return h("button", { type: "button", class: "small", "data-testid": testid, onclick, ...attrs }, label);
  }

  function row(schedule) {
    const target = schedule.target;
    const shown = histories.has(schedule.id);
    return h(
      "tr",
      {
        "data-testid": "schedule-row",
        "data-schedule-id": String(schedule.id),
        id: `schedule-${schedule.id}`, // the audit log's links land here
        class:
          [schedule.active ? "" : "paused", location.hash === `#schedule-${schedule.id}` ? "linked" : ""]
            .join(" ")
            .trim() || null,
      },
      h(
        "td",
        { class: "name" },
        h("strong", { "data-testid": "schedule-name" }, schedule.name),
        schedule.alert && h("span", { class: "pill" }, "Alert"),
        !schedule.mine && h("div", { class: "muted owner" }, `by ${schedule.owner}`),
        h(
          "div",
          { class: "muted to" },
          schedule.channel === "email" ? schedule.recipients.join(", ") : schedule.webhook_url,
        ),
        pausedNote(schedule),
      ),
      h(
        "td",
        {},
        muted(`${TARGET_LABELS[target.kind]} `),
        h("a", { href: targetHref(target), "data-testid": "schedule-target" }, targetName(target)),
      ),
      whenCell(schedule),
      h("td", { "data-testid": "schedule-next-run" }, time(schedule.next_run_at)),
      h(
        "td",
        { "data-testid": "schedule-last-run" },
        schedule.last_run_at && [time(schedule.last_run_at), " "],
        schedule.last_status ? badge(schedule.last_status) : !schedule.last_run_at && muted("—"),
      ),
      h(
        "td",
        {},
        h(
          "label",
          { class: "switch" },
          h("input", {
            type: "checkbox",
            checked: schedule.active,
            "data-testid": "schedule-active",
            onchange: (event) => setActive(schedule, event.target.checked),
          }),
          schedule.active ? "Active" : "Paused",
        ),
      ),
      h(
        "td",
        { class: "actions" },
        button("Send now", "schedule-send", () => sendNow(schedule), {
          title: "Send it now, whatever its next run",
        }),
        button("History", "schedule-history", () => toggleHistory(schedule), {
          "aria-expanded": String(shown),
        }),
        button("Edit", "schedule-edit", () => edit(schedule)),
        button("Delete", "schedule-delete", () => confirmDelete(schedule), { class: "small danger" }),
      ),
    );
  }

  function historyRow(schedule) {
    const found = histories.get(schedule.id);
    let content;
    if (found === null) content = h("p", { class: "empty" }, "Loading…");
    else if (found.error)
      content = h("p", { class: "error-message" }, `Could not read the history: ${found.error}`);
    else if (found.length === 0) content = h("p", { class: "empty" }, "Not sent yet.");
    else
      content = h(
        "table",
        { class: "deliveries" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Time", "Run", "Recipient", "Channel", "Status", "Attempt", "What happened"].map((t) =>
              h("th", {}, t),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          found.map((d) =>
            h(
              "tr",
              { "data-testid": "delivery-row", "data-status": d.status },
              h("td", {}, time(d.finished_at || d.started_at)),
              h("td", {}, d.due_at ? muted(`due ${dateTime(d.due_at)}`) : "Send now"),
              h("td", { class: "recipient" }, d.recipient || muted("—")),
              h("td", {}, CHANNELS[schedule.channel] || schedule.channel),
              h("td", {}, d.finished_at ? badge(d.status) : muted("sending…")),
              h("td", { class: "num" }, String(d.attempt)),
              h("td", { class: "message" }, d.message || ""),
            ),
          ),
        ),
      );
    return h(
      "tr",
      { class: "history-row", "data-testid": "schedule-deliveries" },
      h("td", { colspan: "7" }, content),
    );
  }

  function render() {
    if (schedules.length === 0) {
      replace(
        list,
        h(
          "p",
          { class: "empty" },
          "No schedules yet. Open a dashboard, a chart or a saved query and press Schedule.",
        ),
      );
      return;
    }
    replace(
      list,
      h(
        "table",
        { class: "list schedules-table", "data-testid": "schedules-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Name", "Sends", "When", "Next run", "Last run", "Active"].map((t) => h("th", {}, t)),
            h("th", {}, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        h(
          "tbody",
          {},
          schedules.map((s) => [row(s), histories.has(s.id) && historyRow(s)]),
        ),
      ),
    );
  }

  addEventListener("pagehide", () => clearTimeout(timer));
  addEventListener("hashchange", () => render());
  try {
    [schedules] = await Promise.all([get(API), loadNames()]);
  } catch (error) {
    replace(list, h("p", { class: "error-message empty" }, `Could not list the schedules: ${error.message}`));
    return;
  }
  authorizations = await listAuthorizations().catch(() => new Map());
  render();
  if (location.hash.startsWith("#schedule-"))
    document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: "center" });
}
